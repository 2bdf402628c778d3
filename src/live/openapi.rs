//! The OpenAPI 3 document of the mock source (`GET /openapi.json`).
//!
//! Owns the published description of the live API: every route, its parameters, its answers
//! and headers. It describes the server that runs, no more and no less: the patterns here are
//! the ones the handlers parse (a value the schema allows is accepted, one it forbids gets 400),
//! the API key is optional (without one, requests share the `anonymous` quota), and the event
//! stream's messages are spelled out. A test checks every route is listed; `.ci/run` checks the
//! rest against the running server with schemathesis.

use serde_json::{json, Value};

fn rate_headers() -> Value {
    let int = json!({ "schema": { "type": "integer" } });
    json!({
        "RateLimit-Policy": { "description": "IETF draft: quota and window, e.g. \"default\";q=5000;w=3600", "schema": { "type": "string" } },
        "RateLimit": { "description": "IETF draft: remaining and seconds to reset, e.g. \"default\";r=4999;t=1800", "schema": { "type": "string" } },
        "X-RateLimit-Limit": int.clone(),
        "X-RateLimit-Remaining": int.clone(),
        "X-RateLimit-Used": int.clone(),
        "X-RateLimit-Reset": { "description": "Unix time (seconds) when the window resets", "schema": { "type": "integer" } },
        "X-Poll-Interval": { "description": "Suggested seconds between polls (when the scenario sets a hint)", "schema": { "type": "integer" } },
    })
}

/// The schema of an event id (`json::parse_event_id`): the prefix and 1 to 10 digits.
fn event_id() -> Value {
    json!({ "type": "string", "pattern": "^evt_[0-9]{1,10}$", "minLength": 5, "maxLength": 14, "example": "evt_0000000041" })
}

/// The schema of a resource id (`json::parse_resource_id`).
fn resource_id() -> Value {
    json!({ "type": "string", "pattern": "^res_[0-9]{1,10}$", "minLength": 5, "maxLength": 14, "example": "res_000007" })
}

/// The pattern of a long poll's `wait` (`source::parse_wait`).
pub const WAIT: &str = "^[1-9][0-9]{0,8}(ms|s|m|h)$";

/// The rate-limit headers and the page's `ETag`.
fn with_etag() -> Value {
    let mut h = rate_headers();
    if let Some(m) = h.as_object_mut() {
        m.insert("ETag".into(), json!({ "description": "The page's entity tag (16 hex digits, quoted)", "schema": { "type": "string" } }));
    }
    h
}

/// The document.
pub fn document() -> Value {
    let error = json!({ "$ref": "#/components/schemas/Error" });
    // `{}` first: the key is optional.
    let api_key = json!([{}, { "apiKey": [] }]);
    let too_many = json!({
        "description": "Over quota",
        "headers": { "Retry-After": { "description": "Seconds until the quota resets", "schema": { "type": "integer" } } },
        "content": { "application/json": { "schema": error } },
    });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "hookbench mock event source",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A pollable event API with cursor pagination, ETags, per-client rate limits and resource snapshots. Durations in headers are scenario seconds.",
        },
        "servers": [{ "url": "/" }],
        "security": api_key,
        "paths": {
            "/events": { "get": {
                "operationId": "listEvents",
                "summary": "Events after a cursor, oldest first",
                "parameters": [
                    { "name": "after", "in": "query", "required": false, "description": "Return events after this event id (the previous page's next_cursor); an id past the end gives an empty page", "schema": event_id() },
                    { "name": "limit", "in": "query", "required": false, "description": "Page size; any larger value is cut to the server's page size", "schema": { "type": "integer", "minimum": 1 } },
                    { "name": "If-None-Match", "in": "header", "required": false, "description": "`*` or a list of ETags of earlier answers to the same request (RFC 9110, weak comparison): 304 if one matches; a value that is not valid is ignored", "schema": { "type": "string" } },
                    { "name": "wait", "in": "query", "required": false, "description": "Long poll: hold the request until an event after the cursor is visible or this long passes (capped by the server's maximum); ms, s, m or h", "schema": { "type": "string", "pattern": WAIT, "example": "20s" } },
                ],
                "responses": {
                    "200": { "description": "A page", "headers": with_etag(),
                             "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } },
                    "304": { "description": "Not modified since the ETag", "headers": with_etag() },
                    "400": { "description": "Malformed parameters", "content": { "application/json": { "schema": error } } },
                    "429": too_many,
                },
            } },
            "/stream": { "get": {
                "operationId": "streamEvents",
                "summary": "Server-sent events: every event as it becomes visible",
                "description": "A text/event-stream. The first message carries `retry:` (the reconnection delay, in scenario milliseconds); each event comes as `id:` (its event id), `event:` (its type) and `data:` (its JSON). The server drops the connection at the scenario's drop times; reconnect with `Last-Event-ID` to have the missed events replayed.",
                "parameters": [
                    { "name": "Last-Event-ID", "in": "header", "required": false, "description": "The id of the last event received; the stream resumes after it", "schema": event_id() },
                ],
                "responses": {
                    "200": { "description": "The event stream", "headers": rate_headers(), "content": { "text/event-stream": {
                        "schema": { "$ref": "#/components/schemas/StreamMessage" },
                        "example": "retry: 3000\n\nid: evt_0000000000\nevent: payment.created\ndata: {\"id\":\"evt_0000000000\",\"type\":\"payment.created\",\"resource_id\":\"res_000091\",\"version\":1,\"state\":\"created\",\"occurred_at\":\"2025-01-01T00:00:00Z\",\"occurred_at_us\":0,\"data\":{\"note\":\"x\"}}\n\n",
                        "x-sse-data": { "$ref": "#/components/schemas/Event" },
                    } } },
                    "400": { "description": "Malformed Last-Event-ID", "content": { "application/json": { "schema": error } } },
                    "429": too_many,
                },
            } },
            "/events/{id}": { "get": {
                "operationId": "getEvent",
                "summary": "One event",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": event_id() }],
                "responses": {
                    "200": { "description": "The event", "headers": rate_headers(), "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Event" } } } },
                    "400": { "description": "Malformed id", "content": { "application/json": { "schema": error } } },
                    "404": { "description": "No such event, or not visible yet", "content": { "application/json": { "schema": error } } },
                    "429": too_many,
                },
            } },
            "/resources/{id}": { "get": {
                "operationId": "getResource",
                "summary": "A resource's current state",
                "parameters": [{ "name": "id", "in": "path", "required": true, "description": "A resource id; one past the scenario's resources is 404", "schema": resource_id() }],
                "responses": {
                    "200": { "description": "The snapshot", "headers": rate_headers(), "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Resource" } } } },
                    "400": { "description": "Malformed id", "content": { "application/json": { "schema": error } } },
                    "404": { "description": "No such resource", "content": { "application/json": { "schema": error } } },
                    "429": too_many,
                },
            } },
            "/dead-letters": { "get": {
                "operationId": "listDeadLetters",
                "summary": "Events whose webhook deliveries were exhausted",
                "security": [],
                "responses": { "200": { "description": "Per subscription", "content": { "application/json": { "schema": { "type": "object" } } } } },
            } },
            "/openapi.json": { "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": { "200": { "description": "OpenAPI 3 document", "content": { "application/json": { "schema": { "type": "object" } } } } },
            } },
        },
        "components": {
            "securitySchemes": { "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "Names the client for rate limiting (optional: without it, requests share the `anonymous` quota; so do new keys once 10,000 are tracked)" } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "properties": { "status": { "type": "integer" }, "message": { "type": "string" } } } } },
                "Event": { "type": "object", "required": ["id", "type", "resource_id", "version", "occurred_at"], "properties": {
                    "id": { "type": "string" }, "type": { "type": "string" }, "resource_id": { "type": "string" },
                    "version": { "type": "integer" }, "state": { "type": "string" },
                    "occurred_at": { "type": "string", "format": "date-time" },
                    "occurred_at_us": { "type": "integer", "description": "Scenario time of the event, microseconds" },
                    "data": { "type": "object" } } },
                "Page": { "type": "object", "required": ["data", "has_more", "next_cursor"], "properties": {
                    "data": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } },
                    "has_more": { "type": "boolean" },
                    "next_cursor": { "type": "string", "nullable": true } } },
                "StreamMessage": { "type": "object", "description": "One server-sent event (WHATWG HTML §9.2). The first message carries only `retry` (the reconnection delay, scenario milliseconds); each later one is an event: `id` its event id, `event` its type, `data` the event as JSON (schema Event, also named by x-sse-data). The stream ends at the scenario's next drop.", "properties": {
                    "id": event_id(), "event": { "type": "string", "example": "payment.paid" },
                    "data": { "type": "string", "description": "The event as JSON (schema Event)" },
                    "retry": { "type": "integer", "minimum": 0 } } },
                "Resource": { "type": "object", "required": ["id", "version"], "properties": {
                    "id": { "type": "string" }, "type": { "type": "string" }, "version": { "type": "integer" },
                    "state": { "type": "string", "nullable": true }, "last_event_id": { "type": "string", "nullable": true },
                    "data": { "type": "object" } } },
            },
        },
    })
}
