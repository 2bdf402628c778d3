//! The OpenAPI 3 document of the mock source (`GET /openapi.json`).
//!
//! Owns the published description of the live API: every route, its parameters, its answers
//! and headers. A test parses it and checks it lists every route the router serves.

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

/// The document.
pub fn document() -> Value {
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let api_key = json!([{ "apiKey": [] }]);
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
                    { "name": "after", "in": "query", "required": false, "description": "Return events after this event id (the previous page's next_cursor)", "schema": { "type": "string", "pattern": "^evt_[0-9]+$" } },
                    { "name": "limit", "in": "query", "required": false, "description": "Page size; capped by the server's maximum", "schema": { "type": "integer", "minimum": 1 } },
                    { "name": "If-None-Match", "in": "header", "required": false, "description": "ETag of an earlier answer to the same request", "schema": { "type": "string" } },
                    { "name": "wait", "in": "query", "required": false, "description": "Long poll: hold the request until an event after the cursor is visible or this long passes (a duration such as 20s, capped by the server's maximum)", "schema": { "type": "string", "example": "20s" } },
                ],
                "responses": {
                    "200": { "description": "A page", "headers": rate_headers().as_object().cloned().map(|mut m| { m.insert("ETag".into(), json!({ "schema": { "type": "string" } })); Value::Object(m) }),
                             "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } },
                    "304": { "description": "Not modified since the ETag", "headers": rate_headers() },
                    "400": { "description": "Malformed parameters", "content": { "application/json": { "schema": error } } },
                    "429": too_many,
                },
            } },
            "/stream": { "get": {
                "operationId": "streamEvents",
                "summary": "Server-sent events: every event as it becomes visible",
                "description": "A text/event-stream. The first message carries `retry:` (the reconnection delay, in scenario milliseconds); each event comes as `id:` (its event id), `event:` (its type) and `data:` (its JSON). The server drops the connection at the scenario's drop times; reconnect with `Last-Event-ID` to have the missed events replayed.",
                "parameters": [
                    { "name": "Last-Event-ID", "in": "header", "required": false, "description": "The id of the last event received; the stream resumes after it", "schema": { "type": "string", "pattern": "^evt_[0-9]+$" } },
                ],
                "responses": {
                    "200": { "description": "The event stream", "headers": rate_headers(), "content": { "text/event-stream": { "schema": { "type": "string" } } } },
                    "400": { "description": "Malformed Last-Event-ID", "content": { "application/json": { "schema": error } } },
                    "429": too_many,
                },
            } },
            "/events/{id}": { "get": {
                "operationId": "getEvent",
                "summary": "One event",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^evt_[0-9]+$" } }],
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
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^res_[0-9]+$" } }],
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
            "securitySchemes": { "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "Names the client for rate limiting" } },
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
                "Resource": { "type": "object", "required": ["id", "version"], "properties": {
                    "id": { "type": "string" }, "type": { "type": "string" }, "version": { "type": "integer" },
                    "state": { "type": "string", "nullable": true }, "last_event_id": { "type": "string", "nullable": true },
                    "data": { "type": "object" } } },
            },
        },
    })
}
