// Package config reads SIGAP's configuration: the environment and the
// offices file. Everything is checked at start, with errors that name the
// file, line and field, so a bad file never half-works.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// officeEntry is one office as the offices file holds it, but for its
// channel's settings (whatsapp: for the Cloud API), which its channel reads
// (sigap.ChannelSettings); docs/offices.md documents every field.
type officeEntry struct {
	Code            string          `yaml:"code"`
	Name            string          `yaml:"name"`
	Channel         string          `yaml:"channel"`
	VerifyBirthDate *bool           `yaml:"verify_birth_date"`
	Address         string          `yaml:"address"`
	Hours           string          `yaml:"hours"`
	Phone           string          `yaml:"phone"`
	Location        *sigap.Location `yaml:"location"`
	TimeZone        string          `yaml:"timezone"`

	// The conversation (see conversation below and the README): keywords
	// added by intent, texts replaced by language and key, look-up limits,
	// and whether to name the office handling another office's number.
	Keywords           map[string][]string          `yaml:"keywords"`
	Texts              map[string]map[string]string `yaml:"texts"`
	Limits             sigap.OfficeLimits           `yaml:"limits"`
	NameHandlingOffice bool                         `yaml:"name_handling_office"`

	// Notifications (notifications.go): quiet hours, whether a successful
	// look-up subscribes, and the template sent outside the window.
	QuietHours        *string            `yaml:"quiet_hours"`
	NotifyAfterLookup bool               `yaml:"notify_after_lookup"`
	Notifications     notificationsEntry `yaml:"notifications"`
}

var codePattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// Offices is the validated set of offices.
type Offices struct {
	list      []sigap.Office
	byCode    map[string]int
	byAddress map[channelAddress]int
}

// channelAddress is what a channel's deliveries name an office by
// (sigap.ChannelConfig's Address), on that channel.
type channelAddress struct{ channel, address string }

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

// ByAddress finds the office on channel that a delivery names by address
// (the Cloud API's phone number id): the channel's office finder.
func (o *Offices) ByAddress(channel, address string) (sigap.Office, bool) {
	i, ok := o.byAddress[channelAddress{channel, address}]
	if !ok {
		return sigap.Office{}, false
	}
	return o.list[i], true
}

// Finder is ByAddress on one channel, as the channel's webhook asks.
func (o *Offices) Finder(channel string) func(address string) (sigap.Office, bool) {
	return func(address string) (sigap.Office, bool) { return o.ByAddress(channel, address) }
}

// LoadOffices reads and validates an offices file. channels are the
// channels an office may name (channel:), by name; those offering
// sigap.ChannelSettings read their offices' settings.
func LoadOffices(path string, getenv func(string) string, channels map[string]sigap.Channel) (*Offices, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("offices file: %w", err)
	}
	return ParseOffices(path, data, getenv, channels)
}

// problem is one mistake in an offices file, at the line of the field it
// is about (of the office, or the file, when that field is missing).
type problem struct {
	line int
	msg  string
}

// ParseOffices validates an offices file's contents; name is used in errors,
// channels as in LoadOffices. Every problem is reported at once, each with
// its field's line, in line order, so that one run finds them all.
func ParseOffices(name string, data []byte, getenv func(string) string, channels map[string]sigap.Channel) (*Offices, error) {
	if len(channels) == 0 {
		return nil, fmt.Errorf("offices file %s: no channels to read it with", name)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("offices file %s: %w", name, err)
	}
	list, problems := officesList(&doc)
	if list == nil && len(problems) == 0 {
		return nil, fmt.Errorf("offices file %s: no offices (want a list under \"offices:\")", name)
	}
	o := &Offices{byCode: map[string]int{}, byAddress: map[channelAddress]int{}}
	codeAt, addressAt := map[string]int{}, map[channelAddress]int{} // the line each was first seen on
	addressOf := map[channelAddress]string{}
	for _, node := range list {
		office, ps := parseOffice(node, getenv, channels)
		problems = append(problems, ps...)
		valid := len(ps) == 0
		// Codes and numbers used twice are found whatever else is wrong.
		if codePattern.MatchString(office.Code) {
			line, _ := field(node, "code")
			if first, dup := codeAt[office.Code]; dup {
				problems = append(problems, problem{line, fmt.Sprintf("office code %q is used twice (first on line %d)", office.Code, first)})
				valid = false
			} else {
				codeAt[office.Code] = line
			}
		}
		var at channelAddress
		if office.ChannelConfig != nil {
			path, address := office.ChannelConfig.Address()
			at = channelAddress{office.Channel, address}
			if address != "" {
				line, _ := field(node, strings.Split(path, ".")...)
				if first, dup := addressAt[at]; dup {
					problems = append(problems, problem{line, fmt.Sprintf("office %q: %s %s is already office %q's (line %d)",
						office.Code, path, address, addressOf[at], first)})
					valid = false
				} else {
					addressAt[at], addressOf[at] = line, office.Code
				}
			}
		}
		if valid {
			o.byCode[office.Code] = len(o.list)
			if at.address != "" {
				o.byAddress[at] = len(o.list)
			}
			o.list = append(o.list, office)
		}
	}
	if len(problems) == 0 {
		return o, nil
	}
	// In line order; the file's own problems, which have no line, last.
	slices.SortStableFunc(problems, func(a, b problem) int {
		return cmp.Compare(cmp.Or(a.line, math.MaxInt), cmp.Or(b.line, math.MaxInt))
	})
	var b strings.Builder
	fmt.Fprintf(&b, "offices file %s is not valid (%d %s):", name, len(problems), plural(len(problems), "problem", "problems"))
	for _, p := range problems {
		if p.line > 0 {
			fmt.Fprintf(&b, "\n%s line %d: %s", name, p.line, p.msg)
		} else {
			fmt.Fprintf(&b, "\n%s: %s", name, p.msg)
		}
	}
	return nil, errors.New(b.String())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// officesList finds the list of offices in the file's document, and what
// else is wrong with the file around it.
func officesList(doc *yaml.Node) ([]*yaml.Node, []problem) {
	if doc.Kind == 0 { // an empty file, or comments only
		return nil, nil
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	isNull := func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }
	if root.Kind != yaml.MappingNode {
		if isNull(root) {
			return nil, nil
		}
		return nil, []problem{{root.Line, `the file holds a list under "offices:"`}}
	}
	var (
		list     []*yaml.Node
		problems []problem
		found    bool
	)
	for k := 0; k+1 < len(root.Content); k += 2 {
		key, val := root.Content[k], root.Content[k+1]
		switch {
		case key.Value != "offices":
			problems = append(problems, problem{key.Line, fmt.Sprintf(`unknown field %s (the file holds a list under "offices:")`, key.Value)})
		case val.Kind == yaml.SequenceNode:
			list, found = val.Content, true
		case !isNull(val):
			problems = append(problems, problem{val.Line, "offices: want a list of offices, each starting with \"- code:\""})
			found = true
		}
	}
	if len(list) == 0 && len(problems) > 0 && !found {
		problems = append(problems, problem{0, `no offices (want a list under "offices:")`})
	}
	return list, problems
}

// parseOffice decodes and checks one office. A field that cannot be read,
// or holds an unknown field, is reported once for that, not again for the
// value the decoder left empty. The office's channel's settings field
// (sigap.ChannelSettings) is decoded and checked as its channel says.
func parseOffice(node *yaml.Node, getenv func(string) string, channels map[string]sigap.Channel) (sigap.Office, []problem) {
	if node.Kind != yaml.MappingNode {
		return sigap.Office{}, []problem{{node.Line, "an office is a set of fields (code:, name:, whatsapp: ...) starting with \"- \""}}
	}
	// The channels' settings fields, and which channels read each.
	settingsOf := map[string][]string{}
	for _, chName := range sortedKeys(channels) {
		if cs, ok := channels[chName].(sigap.ChannelSettings); ok {
			settingsOf[cs.SettingsField()] = append(settingsOf[cs.SettingsField()], chName)
		}
	}
	// The office without them, for officeEntry.
	rest := *node
	rest.Content = nil
	for k := 0; k+1 < len(node.Content); k += 2 {
		if _, ok := settingsOf[node.Content[k].Value]; !ok {
			rest.Content = append(rest.Content, node.Content[k], node.Content[k+1])
		}
	}
	var e officeEntry
	var problems []problem
	undecoded := map[int]bool{} // lines the decoder could not read, or of unknown fields
	decodeErr := rest.Decode(&e)
	name := fmt.Sprintf("office %q: ", strings.TrimSpace(e.Code))
	if decodeErr != nil && !decodeProblems(node, decodeErr, name, undecoded, &problems) {
		return sigap.Office{}, []problem{{node.Line, name + decodeErr.Error()}}
	}
	unknown := unknownKeys(&rest, reflect.TypeFor[officeEntry](), "", name)
	office, checks := e.office(channels)
	if _, known := channels[office.Channel]; known {
		more, settings := channelSettings(node, office.Channel, channels, settingsOf, getenv, name, undecoded, &problems, &office)
		unknown, checks = append(unknown, more...), append(checks, settings...)
	}
	for _, p := range unknown {
		undecoded[p.line] = true
	}
	problems = append(problems, unknown...)
	checks = append(checks, e.conversation(&office)...)
	checks = append(checks, e.notifications(&office)...)
	for _, c := range checks {
		line, val := field(node, c.path...)
		if val != nil && (undecoded[line] || undecoded[val.Line]) {
			continue // reported as the decoder saw it
		}
		problems = append(problems, problem{line, name + c.msg})
	}
	return office, problems
}

// decodeProblems adds the decoder's type errors to problems, each at its
// line and named by its field, and marks those lines undecoded; false if
// err is not the decoder's type error.
func decodeProblems(node *yaml.Node, err error, name string, undecoded map[int]bool, problems *[]problem) bool {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return false
	}
	for _, msg := range te.Errors {
		line, text := splitLine(msg)
		undecoded[line] = true
		if path := fieldAt(node, line, ""); path != "" {
			text = path + ": " + text
		}
		*problems = append(*problems, problem{line, name + readable(text)})
	}
	return true
}

// channelSettings has the office's channel read its settings field, if it
// has one, into office.ChannelConfig; another channel's settings field in
// the office is a mistake. It returns the settings' unknown fields, and
// the channel's checks.
func channelSettings(node *yaml.Node, channel string, channels map[string]sigap.Channel, settingsOf map[string][]string,
	getenv func(string) string, name string, undecoded map[int]bool, problems *[]problem, office *sigap.Office) ([]problem, []check) {
	own := ""
	cs, ok := channels[channel].(sigap.ChannelSettings)
	if ok {
		own = cs.SettingsField()
	}
	for k := 0; k+1 < len(node.Content); k += 2 {
		key := node.Content[k]
		if readers, ok := settingsOf[key.Value]; ok && key.Value != own {
			*problems = append(*problems, problem{key.Line, fmt.Sprintf("%s%s: holds settings of channel %s, and this office's channel is %s",
				name, key.Value, strings.Join(readers, " or "), channel)})
		}
	}
	if cs == nil {
		return nil, nil
	}
	settings := cs.NewSettings()
	var unknown []problem
	if _, val := field(node, own); val != nil && !(val.Kind == yaml.ScalarNode && val.Tag == "!!null") {
		if err := val.Decode(settings); err != nil && !decodeProblems(node, err, name, undecoded, problems) {
			*problems = append(*problems, problem{val.Line, name + own + ": " + err.Error()})
			return nil, nil
		}
		unknown = unknownKeys(val, reflect.TypeOf(settings), own+".", name)
	}
	cfg, fps := cs.CheckSettings(settings, getenv)
	office.ChannelConfig = cfg
	if cfg != nil {
		office.DisplayNumber = cfg.DisplayNumber()
	}
	checks := make([]check, 0, len(fps))
	for _, fp := range fps {
		checks = append(checks, check{strings.Split(fp.Field, "."), fp.Problem})
	}
	return unknown, checks
}

// splitLine splits the decoder's "line N: what" into N and what.
func splitLine(msg string) (int, string) {
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	n, what, ok := strings.Cut(rest, ": ")
	line, err := strconv.Atoi(n)
	if !ok || err != nil {
		return 0, msg
	}
	return line, what
}

// unmarshalError is the decoder's "cannot unmarshal !!str `nope` into bool"
// (a list or mapping has no value between backquotes).
var unmarshalError = regexp.MustCompile("^(.*)cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")

// readable says a decoder error in the words of the file rather than Go's.
func readable(msg string) string {
	m := unmarshalError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want, ok := map[string]string{
		"bool": "true or false", "int": "a whole number", "float64": "a number", "string": "text",
		"sigap.Location": "latitude: and longitude:", "sigap.Template": "name: and language:",
	}[strings.TrimPrefix(m[4], "*")]
	switch {
	case !ok && strings.HasSuffix(m[4], "Settings"): // a channel's settings field
		want = "a set of fields"
	case !ok && strings.HasPrefix(m[4], "map["):
		want = "a set of fields"
	case !ok && strings.HasPrefix(m[4], "[]"):
		want = "a list"
	case !ok:
		want = m[4]
	}
	got := map[string]string{"seq": "a list", "map": "a set of fields"}[m[2]]
	if got == "" {
		got = strconv.Quote(m[3])
	}
	return fmt.Sprintf("%swant %s, not %s", m[1], want, got)
}

// fieldAt is the dotted path of the deepest field whose key or value is on
// line, or "".
func fieldAt(node *yaml.Node, line int, prefix string) string {
	if node.Kind != yaml.MappingNode {
		return ""
	}
	for k := 0; k+1 < len(node.Content); k += 2 {
		key, val := node.Content[k], node.Content[k+1]
		if inner := fieldAt(val, line, prefix+key.Value+"."); inner != "" {
			return inner
		}
		if key.Line == line || onLine(val, line) {
			return prefix + key.Value
		}
	}
	return ""
}

// onLine reports whether node or any node inside it is on line.
func onLine(node *yaml.Node, line int) bool {
	if node.Line == line {
		return true
	}
	return slices.ContainsFunc(node.Content, func(n *yaml.Node) bool { return onLine(n, line) })
}

// unknownKeys lists the keys of a mapping node that the struct t has no
// field for, descending into nested structs, each on its own line. They are
// typos more often than not.
func unknownKeys(node *yaml.Node, t reflect.Type, prefix, name string) []problem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			fields[tag] = t.Field(i).Type
		}
	}
	var problems []problem
	for k := 0; k+1 < len(node.Content); k += 2 {
		key, val := node.Content[k], node.Content[k+1]
		ft, ok := fields[key.Value]
		if !ok {
			problems = append(problems, problem{key.Line, fmt.Sprintf("%sunknown field %s%s", name, prefix, key.Value)})
			continue
		}
		problems = append(problems, unknownKeys(val, ft, prefix+key.Value+".", name)...)
	}
	return problems
}

// check is a problem with an office's field, found in its decoded value;
// path names the field, and so its line.
type check struct {
	path []string
	msg  string
}

func (e officeEntry) office(channels map[string]sigap.Channel) (sigap.Office, []check) {
	var checks []check
	bad := func(path, format string, args ...any) {
		checks = append(checks, check{strings.Split(path, "."), fmt.Sprintf(format, args...)})
	}
	o := sigap.Office{
		Code: strings.TrimSpace(e.Code), Name: strings.TrimSpace(e.Name),
		VerifyBirthDate: e.VerifyBirthDate == nil || *e.VerifyBirthDate,
		Address:         strings.TrimSpace(e.Address), Hours: strings.TrimSpace(e.Hours), Location: e.Location,
		Phone: strings.TrimSpace(e.Phone),
	}
	switch {
	case o.Code == "":
		bad("code", "code is required (a-z, 0-9 and -, as jakpus)")
	case !codePattern.MatchString(o.Code):
		bad("code", "code %q may hold only a-z, 0-9 and - (lowercase, as jakpus)", o.Code)
	}
	if o.Name == "" {
		bad("name", "name is required")
	}
	o.Channel = cmp.Or(strings.TrimSpace(e.Channel), sigap.DefaultChannel)
	if _, ok := channels[o.Channel]; !ok {
		bad("channel", "channel %q is not known (want %s)", o.Channel, strings.Join(sortedKeys(channels), " or "))
	}
	if l := e.Location; l != nil && (l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 ||
		(l.Latitude == 0 && l.Longitude == 0)) {
		bad("location", "location %v,%v is not a place on the map", l.Latitude, l.Longitude)
	}
	tz := e.TimeZone
	if tz == "" {
		tz = "Asia/Jakarta"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		bad("timezone", "timezone %q is not known (want e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)", tz)
	}
	o.TimeZone = loc
	return o, checks
}

// nationalContent is the content the offices' own keywords and texts are
// checked against.
var nationalContent = sync.OnceValues(content.Load)

// conversation checks the office's own keywords, texts and limits against
// the national content and copies them into o.
func (e officeEntry) conversation(o *sigap.Office) []check {
	var checks []check
	bad := func(path []string, format string, args ...any) {
		checks = append(checks, check{path, fmt.Sprintf(format, args...)})
	}
	cat, err := nationalContent()
	if err != nil {
		return []check{{nil, err.Error()}}
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
		if !slices.Contains(intents, intent) {
			bad([]string{"keywords", intent}, "keywords: unknown service %q (want one of %s)", intent, strings.Join(intents, ", "))
			continue
		}
		for i, w := range e.Keywords[intent] {
			k := keywordKey(w)
			at := []string{"keywords", intent, strconv.Itoa(i)}
			switch other, taken := owner[k]; {
			case !strings.ContainsFunc(k, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
				bad(at, "keywords.%s: %q has no letters", intent, w)
			case taken && other != intent:
				bad(at, "keywords.%s: %q already asks for %s", intent, w, other)
			default:
				owner[k] = intent
			}
		}
	}
	for _, lang := range sortedKeys(e.Texts) {
		for _, key := range sortedKeys(e.Texts[lang]) {
			if err := cat.CheckText(lang, key, e.Texts[lang][key]); err != nil {
				bad([]string{"texts", lang, key}, "texts.%s.%s: %v", lang, key, err)
			}
		}
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"lookups_per_hour", e.Limits.LookupsPerHour}, {"failures_per_day", e.Limits.FailuresPerDay},
		{"failures_per_number", e.Limits.FailuresPerNumber}} {
		if l.n < 0 || l.n > 1000 {
			bad([]string{"limits", l.name}, "limits.%s %d: want 1 to 1000 (or leave it out for the default)", l.name, l.n)
		}
	}
	o.Keywords, o.Texts = e.Keywords, e.Texts
	o.Limits, o.NameHandlingOffice = e.Limits.OrDefaults(), e.NameHandlingOffice
	return checks
}

// keywordKey is a keyword as the bot compares it: any case, '#' or not.
func keywordKey(w string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(w), "#"))
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// field finds the field at path in an office (a mapping key, or a list
// index as "0"): its line, and its value, nil if it is not there. A missing
// field's line is that of the deepest part of the path that is there.
func field(node *yaml.Node, path ...string) (int, *yaml.Node) {
	line := node.Line
	for _, key := range path {
		var next *yaml.Node
		switch node.Kind {
		case yaml.MappingNode:
			for k := 0; k+1 < len(node.Content); k += 2 {
				if node.Content[k].Value == key {
					line, next = node.Content[k].Line, node.Content[k+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(node.Content) {
				next = node.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line, nil
		}
		node = next
	}
	return line, node
}
