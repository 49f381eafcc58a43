// Package e2e holds csat's tests that cross its layers, above the packages they test, and the
// test that keeps the layers apart.
//
// The import picture (docs/design/overview.md): schema/ at the bottom imports no other part of
// csat; ingest/ and aggregate/ stand beside each other on schema/ and never import each other;
// cmd/ on top wires them and no other package imports it. Tests count: a test of ingest that
// needs aggregate, or of schema that needs ingest, lives here instead. TestImportPicture checks
// every package of the module, its tests included, with `go list`, and that the csat binary
// links neither the testing package nor a test helper.
//
// The package holds no code of its own: only tests.
package e2e
