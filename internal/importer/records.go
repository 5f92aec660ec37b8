package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// record is one CSV record: the line it starts on, and its fields or what
// is wrong with it.
type record struct {
	line   int
	fields []string
	err    error
}

// physLine is one line of the file.
type physLine struct {
	n    int
	text string // without its "\n"; a "\r" before it stays, for csv
	long bool   // longer than MaxRecordBytes: text is left out
}

// lineReader splits a file into records. A record ends at the end of a
// line where no quote is open, as RFC 4180 has it: an odd number of '"'
// so far means a quoted field goes on to the next line. Splitting here
// rather than in encoding/csv lets a record that turns out to be broken
// (a quote opened and never closed, a stray quote that joins lines) be
// reported alone and the lines after it be read again as records.
type lineReader struct {
	br *bufio.Reader
	n  int // lines taken from br
	// back holds lines to read again, the next one last.
	back []physLine
	err  error // br's error once it failed (io.EOF at the end)
	// columns is the header's number of columns, once known: a record
	// that spans lines must have as many, or its quotes are suspect.
	columns int
}

// lines is how many lines were read.
func (lr *lineReader) lines() int { return lr.n }

// line returns the next line, or io.EOF after the last.
func (lr *lineReader) line() (physLine, error) {
	if k := len(lr.back); k > 0 {
		l := lr.back[k-1]
		lr.back = lr.back[:k-1]
		return l, nil
	}
	if lr.err != nil {
		return physLine{}, lr.err
	}
	var (
		buf       []byte
		long, got bool
	)
	for {
		chunk, err := lr.br.ReadSlice('\n')
		got = got || len(chunk) > 0
		if !long {
			if len(buf)+len(chunk) > MaxRecordBytes+len("\r\n") {
				long, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			lr.err = err
			if !got {
				return physLine{}, err
			}
		}
		break
	}
	lr.n++
	text := strings.TrimSuffix(string(buf), "\n")
	if lr.n == 1 {
		text = strings.TrimPrefix(text, "\uFEFF") // a byte order mark
	}
	return physLine{n: lr.n, text: text, long: long}, nil
}

// unread gives lines back to be read again, in their order.
func (lr *lineReader) unread(ls ...physLine) {
	for i := len(ls) - 1; i >= 0; i-- {
		lr.back = append(lr.back, ls[i])
	}
}

// record returns the next record that is not empty; a record that cannot
// be read has err set. The error is io.EOF at the end of the file, or the
// file's read error.
func (lr *lineReader) record() (record, error) {
	for {
		first, err := lr.line()
		if err != nil {
			return record{}, err
		}
		if first.long {
			return record{line: first.n, err: fmt.Errorf("the line is longer than %d KiB; skipped", MaxRecordBytes>>10)}, nil
		}
		if strings.TrimRight(first.text, "\r") == "" {
			continue
		}
		lines := []physLine{first}
		size := len(first.text)
		quotes := strings.Count(first.text, `"`)
		if quotes%2 == 1 {
			// A quote inside an unquoted field opens nothing: an error of
			// this line alone.
			if _, err := parseOne(lines); errors.Is(err, csv.ErrBareQuote) {
				return record{line: first.n, err: err}, nil
			}
		}
		for quotes%2 == 1 {
			l, err := lr.line()
			if err != nil && !errors.Is(err, io.EOF) {
				return record{}, err
			}
			if err == nil && !l.long && size+1+len(l.text) <= MaxRecordBytes {
				lines = append(lines, l)
				size += 1 + len(l.text)
				quotes += strings.Count(l.text, `"`)
				continue
			}
			// The quote swallows the rest of the file, or more than a
			// record may hold: take it for a typo in this line alone.
			msg := `unterminated quote: the " opened on this line is never closed`
			if err == nil {
				lr.unread(l)
				msg = fmt.Sprintf(`unterminated quote: the " opened on this line is not closed within %d KiB`, MaxRecordBytes>>10)
			}
			lr.unread(lines[1:]...)
			if err == nil || len(lines) > 1 {
				msg += "; the lines after it are read as rows of their own"
			}
			return record{line: first.n, err: errors.New(msg)}, nil
		}
		fields, err := parseOne(lines)
		if len(lines) == 1 {
			return record{line: first.n, fields: fields, err: err}, nil
		}
		if err == nil && lr.columns > 0 && len(fields) != lr.columns {
			err = fmt.Errorf("%d fields where the header has %d", len(fields), lr.columns)
		}
		if err == nil && lr.looksLikeRows(lines[1:]) {
			err = errors.New("lines in a quoted field look like rows of their own")
		}
		if err != nil {
			// A quoted field may hold newlines, but this one joins lines
			// into a record that is not one: a stray quote, most likely.
			last := lines[len(lines)-1].n
			lr.unread(lines[1:]...)
			return record{line: first.n, err: fmt.Errorf(
				`%v: the quoted field opened on this line runs to line %d (a stray or missing "?); lines %d-%d are read as rows of their own`,
				err, last, first.n+1, last)}, nil
		}
		return record{line: first.n, fields: fields}, nil
	}
}

// looksLikeRows reports whether a line among ls holds as many commas as a
// row: a note's own lines hardly do, a row swallowed by a stray quote does.
func (lr *lineReader) looksLikeRows(ls []physLine) bool {
	for _, l := range ls {
		if lr.columns > 1 && strings.Count(l.text, ",") >= lr.columns-1 {
			return true
		}
	}
	return false
}

// parseOne parses the lines of one record.
func parseOne(lines []physLine) ([]string, error) {
	if len(lines) == 1 && !strings.Contains(lines[0].text, `"`) {
		// Without a quote a line is its fields between commas, as
		// encoding/csv reads it (which costs a reader and its buffer a
		// record), less the "\r" of a "\r\n" line end.
		return strings.Split(strings.TrimSuffix(lines[0].text, "\r"), ","), nil
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	cr := csv.NewReader(strings.NewReader(b.String()))
	cr.FieldsPerRecord = -1
	fields, err := cr.Read()
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		if perr.Line > 1 {
			return nil, fmt.Errorf("%v (line %d)", perr.Err, lines[0].n+perr.Line-1)
		}
		return nil, perr.Err
	}
	if err != nil {
		return nil, err
	}
	if _, err := cr.Read(); !errors.Is(err, io.EOF) {
		return nil, errors.New(`a " in the wrong place splits this line into two records`)
	}
	return fields, nil
}
