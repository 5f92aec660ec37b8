package api

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocumentMatchesRoutes: the OpenAPI document describes exactly the
// operations the mux serves: every documented path and method reaches its
// own route, every route is documented, and no other method is served on
// a documented path. Every $ref in the document resolves.
func TestDocumentMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Document(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	methods := []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}
	var documented []string
	for path, ops := range doc.Paths {
		for m := range ops {
			if slices.Contains(methods, m) {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	var served []string
	for _, rt := range routes {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("the document and the routes differ:\ndocumented %q\nserved     %q", documented, served)
	}

	// The mux itself: each documented operation, with its parameters
	// filled in, is matched by the route of that path and method, and
	// every other method on the path by none.
	a := New(Options{})
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, ops := range doc.Paths {
		url := param.ReplaceAllString(path, "1234567890123456")
		for _, m := range methods {
			req := httptest.NewRequest(strings.ToUpper(m), url, nil)
			_, pattern := a.mux.Handler(req)
			_, isDocumented := ops[m]
			switch {
			case isDocumented && pattern != strings.ToUpper(m)+" "+path:
				t.Errorf("%s %s reaches %q, want its route", strings.ToUpper(m), url, pattern)
			case !isDocumented && pattern != "" && !(m == "head" && ops["get"] != nil):
				t.Errorf("%s %s reaches %q, but the document does not have it", strings.ToUpper(m), url, pattern)
			}
		}
	}

	// Every $ref names something in the document.
	var whole map[string]any
	json.Unmarshal(Document(), &whole) //nolint:errcheck // parsed above
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" {
					var at any = whole
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, _ := at.(map[string]any)
						at = m[part]
					}
					if at == nil {
						t.Errorf("$ref %s resolves to nothing", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(whole)
}
