"""Reads a JUnit file hookbench wrote with junitparser (the parser CI test reporters build on) and
checks its counts: `junit-check.py FILE TESTS FAILURES`.

One <testsuite> per run; one <testcase> per (threshold, row); a <failure> on each breach, with a
message. Exits 1, naming the difference, when the file does not parse or the counts differ.
"""

import sys

from junitparser import Failure, JUnitXml, TestSuite


def main(path, tests, failures):
    xml = JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    if len(suites) != 1:
        sys.exit(f"{path}: {len(suites)} test suites, expected 1")
    suite = suites[0]
    cases = list(suite)
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    if (len(cases), len(failed)) != (tests, failures):
        sys.exit(f"{path}: {len(cases)} test cases and {len(failed)} failures, expected {tests} and {failures}")
    if (suite.tests, suite.failures) != (tests, failures):
        sys.exit(f"{path}: the suite says tests={suite.tests} failures={suite.failures}, expected {tests} and {failures}")
    for case in failed:
        message = next(r.message for r in case.result if isinstance(r, Failure))
        if not message:
            sys.exit(f"{path}: the failure of `{case.name}` has no message")
    print(f"junitparser: {path}: {len(cases)} test cases, {len(failed)} failed, as expected")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
