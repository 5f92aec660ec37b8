// Package config reads SIGAP's configuration: the environment and the
// offices file. Everything is checked at start, with errors that name the
// file, line and field, so a bad file never half-works.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// officesFile is the YAML layout of the offices file; docs/offices.md
// documents every field.
type officesFile struct {
	Offices []yaml.Node `yaml:"offices"`
}

type officeEntry struct {
	Code     string `yaml:"code"`
	Name     string `yaml:"name"`
	WhatsApp struct {
		PhoneNumberID     string         `yaml:"phone_number_id"`
		DisplayNumber     string         `yaml:"display_number"`
		AccessTokenEnv    string         `yaml:"access_token_env"`
		MessagesPerSecond int            `yaml:"messages_per_second"`
		MarkRead          bool           `yaml:"mark_read"`
		ReplyTemplate     sigap.Template `yaml:"reply_template"`
	} `yaml:"whatsapp"`
	VerifyBirthDate *bool           `yaml:"verify_birth_date"`
	Address         string          `yaml:"address"`
	Hours           string          `yaml:"hours"`
	Location        *sigap.Location `yaml:"location"`
	TimeZone        string          `yaml:"timezone"`

	// The conversation (see conversation below and the README): keywords
	// added by intent, texts replaced by language and key, look-up limits,
	// and whether to name the office handling another office's number.
	Keywords           map[string][]string          `yaml:"keywords"`
	Texts              map[string]map[string]string `yaml:"texts"`
	Limits             sigap.OfficeLimits           `yaml:"limits"`
	NameHandlingOffice bool                         `yaml:"name_handling_office"`
}

var (
	codePattern  = regexp.MustCompile(`^[a-z0-9-]+$`)
	digitPattern = regexp.MustCompile(`^[0-9]+$`)
)

// Offices is the validated set of offices.
type Offices struct {
	list    []sigap.Office
	byCode  map[string]int
	byPhone map[string]int
}

// List returns the offices in file order.
func (o *Offices) List() []sigap.Office { return o.list }

// ByCode finds an office by its code.
func (o *Offices) ByCode(code string) (sigap.Office, bool) {
	i, ok := o.byCode[code]
	if !ok {
		return sigap.Office{}, false
	}
	return o.list[i], true
}

// ByPhoneNumberID finds the office that owns a Cloud API phone number id.
func (o *Offices) ByPhoneNumberID(id string) (sigap.Office, bool) {
	i, ok := o.byPhone[id]
	if !ok {
		return sigap.Office{}, false
	}
	return o.list[i], true
}

// LoadOffices reads and validates an offices file.
func LoadOffices(path string, getenv func(string) string) (*Offices, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("offices file: %w", err)
	}
	return ParseOffices(path, data, getenv)
}

// ParseOffices validates an offices file's contents; name is used in errors.
// Every problem is reported, each with its line.
func ParseOffices(name string, data []byte, getenv func(string) string) (*Offices, error) {
	var f officesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("offices file %s: %w", name, err)
	}
	if len(f.Offices) == 0 {
		return nil, fmt.Errorf("offices file %s: no offices (want a list under \"offices:\")", name)
	}
	o := &Offices{byCode: map[string]int{}, byPhone: map[string]int{}}
	var errs []error
	for _, node := range f.Offices {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s line %d: %s", name, node.Line, fmt.Sprintf(format, args...)))
		}
		var e officeEntry
		if err := decodeStrict(&node, &e); err != nil {
			bad("%v", err)
			continue
		}
		office, problems := e.office(getenv)
		problems = append(problems, e.conversation(&node, &office)...)
		for _, p := range problems {
			bad("office %q: %s", e.Code, p)
		}
		if len(problems) > 0 {
			continue
		}
		if _, dup := o.byCode[office.Code]; dup {
			bad("office code %q is used twice", office.Code)
			continue
		}
		if other, dup := o.byPhone[office.PhoneNumberID]; dup {
			bad("office %q: whatsapp.phone_number_id %s is already office %q's", office.Code, office.PhoneNumberID, o.list[other].Code)
			continue
		}
		o.byCode[office.Code], o.byPhone[office.PhoneNumberID] = len(o.list), len(o.list)
		o.list = append(o.list, office)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("offices file is not valid:\n%w", errors.Join(errs...))
	}
	return o, nil
}

// decodeStrict decodes one office, refusing unknown fields, which are typos
// more often than not. yaml.Node.Decode has no strict mode, so the keys are
// checked against the struct's yaml tags first, each with its own line.
func decodeStrict(node *yaml.Node, v any) error {
	if errs := unknownKeys(node, reflect.TypeOf(v).Elem(), ""); len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := node.Decode(v); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "))
	}
	return nil
}

// unknownKeys lists the keys of a mapping node that the struct t has no
// field for, descending into nested structs.
func unknownKeys(node *yaml.Node, t reflect.Type, prefix string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = t.Field(i).Type
		}
	}
	var errs []error
	for k := 0; k+1 < len(node.Content); k += 2 {
		key, val := node.Content[k], node.Content[k+1]
		ft, ok := fields[key.Value]
		if !ok {
			errs = append(errs, fmt.Errorf("line %d: unknown field %s%s", key.Line, prefix, key.Value))
			continue
		}
		errs = append(errs, unknownKeys(val, ft, prefix+key.Value+".")...)
	}
	return errs
}

func (e officeEntry) office(getenv func(string) string) (sigap.Office, []string) {
	var problems []string
	o := sigap.Office{
		Code: strings.TrimSpace(e.Code), Name: strings.TrimSpace(e.Name),
		PhoneNumberID: strings.TrimSpace(e.WhatsApp.PhoneNumberID), DisplayNumber: e.WhatsApp.DisplayNumber,
		VerifyBirthDate: e.VerifyBirthDate == nil || *e.VerifyBirthDate,
		Address:         strings.TrimSpace(e.Address), Hours: strings.TrimSpace(e.Hours), Location: e.Location,
	}
	o.MessagesPerSecond, o.MarkRead, o.ReplyTemplate = e.WhatsApp.MessagesPerSecond, e.WhatsApp.MarkRead, e.WhatsApp.ReplyTemplate
	switch {
	case o.MessagesPerSecond == 0:
		o.MessagesPerSecond = 80
	case o.MessagesPerSecond < 0 || o.MessagesPerSecond > 1000:
		problems = append(problems, fmt.Sprintf("whatsapp.messages_per_second %d: want 1 to 1000", o.MessagesPerSecond))
	}
	if t := o.ReplyTemplate; (t.Name == "") != (t.Language == "") {
		problems = append(problems, "whatsapp.reply_template needs both name and language")
	}
	if !codePattern.MatchString(o.Code) {
		problems = append(problems, "code is required and may hold only a-z, 0-9 and -")
	}
	if o.Name == "" {
		problems = append(problems, "name is required")
	}
	if !digitPattern.MatchString(o.PhoneNumberID) {
		problems = append(problems, "whatsapp.phone_number_id is required and must be the Cloud API phone number id (digits; quote it)")
	}
	if env := e.WhatsApp.AccessTokenEnv; env != "" {
		if o.AccessToken = getenv(env); o.AccessToken == "" {
			problems = append(problems, fmt.Sprintf("whatsapp.access_token_env names %s, which is not set", env))
		}
	}
	if l := e.Location; l != nil && (l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 ||
		(l.Latitude == 0 && l.Longitude == 0)) {
		problems = append(problems, fmt.Sprintf("location %v,%v is not a place on the map", l.Latitude, l.Longitude))
	}
	tz := e.TimeZone
	if tz == "" {
		tz = "Asia/Jakarta"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		problems = append(problems, fmt.Sprintf("timezone %q is not known (want e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)", tz))
	}
	o.TimeZone = loc
	return o, problems
}

// nationalContent is the content the offices' own keywords and texts are
// checked against.
var nationalContent = sync.OnceValues(content.Load)

// conversation checks the office's own keywords, texts and limits against
// the national content and copies them into o. Each problem names its line.
func (e officeEntry) conversation(node *yaml.Node, o *sigap.Office) []string {
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
	cat, err := nationalContent()
	if err != nil {
		return []string{err.Error()}
	}
	// A keyword adds to the national ones; it may not take one over.
	owner := map[string]string{}
	for _, lang := range cat.Langs() {
		for intent, words := range cat.Keywords(lang) {
			for _, w := range words {
				owner[keywordKey(w)] = intent
			}
		}
	}
	intents := cat.Intents()
	for _, intent := range sortedKeys(e.Keywords) {
		line := lineOf(node, "keywords", intent)
		if !slices.Contains(intents, intent) {
			bad(line, "keywords: unknown service %q (want one of %s)", intent, strings.Join(intents, ", "))
			continue
		}
		for _, w := range e.Keywords[intent] {
			k := keywordKey(w)
			switch other, taken := owner[k]; {
			case !strings.ContainsFunc(k, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
				bad(line, "keywords.%s: %q has no letters", intent, w)
			case taken && other != intent:
				bad(line, "keywords.%s: %q already asks for %s", intent, w, other)
			default:
				owner[k] = intent
			}
		}
	}
	for _, lang := range sortedKeys(e.Texts) {
		for _, key := range sortedKeys(e.Texts[lang]) {
			if err := cat.CheckText(lang, key, e.Texts[lang][key]); err != nil {
				bad(lineOf(node, "texts", lang, key), "texts.%s.%s: %v", lang, key, err)
			}
		}
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"lookups_per_hour", e.Limits.LookupsPerHour}, {"failures_per_day", e.Limits.FailuresPerDay}} {
		if l.n < 0 || l.n > 1000 {
			bad(lineOf(node, "limits", l.name), "limits.%s %d: want 1 to 1000 (or leave it out for the default)", l.name, l.n)
		}
	}
	o.Keywords, o.Texts = e.Keywords, e.Texts
	o.Limits, o.NameHandlingOffice = e.Limits.OrDefaults(), e.NameHandlingOffice
	return problems
}

// keywordKey is a keyword as the bot compares it: any case, '#' or not.
func keywordKey(w string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(w), "#"))
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// lineOf returns the line of the value at path in a mapping node, or of
// the deepest part of it that exists.
func lineOf(node *yaml.Node, path ...string) int {
	line := node.Line
	for _, key := range path {
		if node.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for k := 0; k+1 < len(node.Content); k += 2 {
			if node.Content[k].Value == key {
				line, node, found = node.Content[k].Line, node.Content[k+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}
