package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}

// mediaType returns the request's Content-Type without parameters, in
// lower case ("" when absent or unreadable).
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// decodeError is a body that could not be read as the request's JSON.
type decodeError struct {
	status int
	msg    string
	fields map[string]string
}

// decode reads the request's JSON body into v: Content-Type
// application/json (415 otherwise), at most limit bytes (413), one object
// whose fields are all v's (an unknown one is named, 400) and of the
// right types (named, 400).
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) *decodeError {
	if mediaType(r) != "application/json" {
		return &decodeError{status: http.StatusUnsupportedMediaType, msg: "want Content-Type: application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &decodeError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body over %d bytes", limit)}
	}
	if err != nil {
		return &decodeError{status: http.StatusBadRequest, msg: "body could not be read"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		return nil
	}
	var (
		typeErr *json.UnmarshalTypeError
		synErr  *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return &decodeError{status: http.StatusBadRequest, msg: "invalid fields",
			fields: map[string]string{typeErr.Field: "want " + jsonKind(typeErr.Type.Kind().String())}}
	case errors.As(err, &typeErr):
		return &decodeError{status: http.StatusBadRequest, msg: "want a JSON object"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &decodeError{status: http.StatusBadRequest, msg: "invalid fields",
			fields: map[string]string{name: "is not a field of this request"}}
	case errors.As(err, &synErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &decodeError{status: http.StatusBadRequest, msg: "body is not valid JSON"}
	}
	return &decodeError{status: http.StatusBadRequest, msg: "body is not valid JSON: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	}
	return "a " + goKind
}

func (a *API) decodeFailed(r *http.Request, d *decodeError) reply {
	return reply{status: d.status, body: errBody(d.msg, d.fields), outcome: d.msg}
}
