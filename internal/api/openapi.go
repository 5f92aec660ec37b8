package api

import (
	_ "embed"
	"net/http"
)

// document is the OpenAPI 3 document of the routes (TestDocumentMatchesRoutes).
//
//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document.
func Document() []byte { return document }

func serveDocument(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(document) //nolint:errcheck // the client went away
}
