package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sigap-id/sigap"
)

// row is one application read from the file, or what is wrong with it.
type row struct {
	line int
	a    sigap.Application
	err  error
}

// source reads a file's applications one row at a time. next returns
// io.EOF after the last row, or the file's read error.
type source interface {
	next() (row, error)
}

// readError is a failure to read the file, not a problem with its text.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// csvSource reads the contract's CSV.
type csvSource struct {
	lr    *lineReader
	known func(string) bool
	col   map[string]int
}

// header reads up to and including the header row.
func (c *csvSource) header() error {
	for {
		rec, err := c.lr.record()
		switch {
		case errors.Is(err, io.EOF):
			return errors.New("the file is empty: want a header row")
		case err != nil:
			return readError{fmt.Errorf("read: %w", err)}
		case rec.err != nil:
			return fmt.Errorf("header (line %d): %v", rec.line, rec.err)
		case isBlank(rec.fields):
			continue
		}
		if c.col, err = header(rec.fields); err != nil {
			return fmt.Errorf("header (line %d): %w", rec.line, err)
		}
		c.lr.columns = len(rec.fields)
		return nil
	}
}

func (c *csvSource) next() (row, error) {
	for {
		rec, err := c.lr.record()
		if err != nil {
			return row{}, err
		}
		if rec.err != nil {
			return row{line: rec.line, err: rec.err}, nil
		}
		if isBlank(rec.fields) {
			continue
		}
		field := func(name string) string {
			i, ok := c.col[name]
			if !ok || i >= len(rec.fields) {
				return ""
			}
			return strings.TrimSpace(rec.fields[i])
		}
		a, err := parseRow(field, c.known)
		return row{line: rec.line, a: a, err: err}, nil
	}
}

// ndjsonSource reads one JSON object a line.
type ndjsonSource struct {
	lr    *lineReader
	known func(string) bool
}

// contractField says whether a name is one of the contract's fields.
var contractField = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range sigap.ApplicationFields {
		m[f] = true
	}
	return m
}()

func (n *ndjsonSource) next() (row, error) {
	for {
		l, err := n.lr.line()
		if err != nil {
			return row{}, err
		}
		if l.long {
			return row{line: l.n, err: fmt.Errorf("the line is longer than %d KiB; skipped", MaxRecordBytes>>10)}, nil
		}
		text := strings.TrimSpace(l.text)
		if text == "" {
			continue
		}
		fields, err := jsonFields(text)
		if err != nil {
			return row{line: l.n, err: err}, nil
		}
		field := func(name string) string { return strings.TrimSpace(fields[name]) }
		a, err := parseRow(field, n.known)
		return row{line: l.n, a: a, err: err}, nil
	}
}

// jsonFields reads one line's object into the contract's fields: names
// match as the CSV's header does (case and surrounding spaces aside), and
// the required ones must be there.
func jsonFields(text string) (map[string]string, error) {
	var obj map[string]json.RawMessage
	err := json.Unmarshal([]byte(text), &obj)
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return nil, fmt.Errorf("not valid JSON: %v", err)
	case err != nil || obj == nil:
		return nil, errors.New("not a JSON object")
	}
	fields := make(map[string]string, len(sigap.ApplicationFields))
	for key, raw := range obj {
		name := strings.ToLower(strings.TrimSpace(key))
		if !contractField[name] {
			continue
		}
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("field %s appears twice", quote(name))
		}
		v, err := jsonString(raw)
		if err != nil {
			return nil, fmt.Errorf("%s %v", name, err)
		}
		fields[name] = v
	}
	var missing []string
	for _, name := range required {
		if _, ok := fields[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing field(s) %s", strings.Join(missing, ", "))
	}
	return fields, nil
}

// jsonString is a field's value as the CSV would hold it.
func jsonString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case string(raw) == "null":
		return "", nil
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		// A number as written: sixteen digits do not survive a float64.
		return string(raw), nil
	}
	return "", errors.New("is not a string")
}
