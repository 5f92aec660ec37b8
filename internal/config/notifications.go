package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sigap-id/sigap"
)

// notificationsEntry is an office's notifications: field.
type notificationsEntry struct {
	// Template is the approved template sent outside the applicant's
	// 24-hour customer service window.
	Template *notifyTemplateEntry `yaml:"template"`
}

type notifyTemplateEntry struct {
	Name     string   `yaml:"name"`
	Language string   `yaml:"language"`
	Params   []string `yaml:"params"`
}

// templateName is what Meta allows in a template's name; templateLanguage
// a language code as Meta names its template languages (id, en, en_US).
var (
	templateName     = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	templateLanguage = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
)

// maxTemplateParams bounds notifications.template.params.
const maxTemplateParams = 10

// notifications checks the office's quiet_hours, notify_after_lookup and
// notifications: and copies them into o.
func (e officeEntry) notifications(o *sigap.Office) []check {
	var checks []check
	bad := func(path []string, format string, args ...any) {
		checks = append(checks, check{path, fmt.Sprintf(format, args...)})
	}
	n := sigap.OfficeNotifications{Quiet: sigap.DefaultQuietHours, AfterLookup: e.NotifyAfterLookup}
	if e.QuietHours != nil {
		q, err := sigap.ParseQuietHours(*e.QuietHours)
		if err != nil {
			bad([]string{"quiet_hours"}, "quiet_hours %q: want HH:MM-HH:MM in the office's time zone, as 21:00-06:00 (it may pass midnight), or none", *e.QuietHours)
		}
		n.Quiet = q
	}
	if t := e.Notifications.Template; t != nil {
		at := func(f string) []string { return []string{"notifications", "template", f} }
		name, lang := strings.TrimSpace(t.Name), strings.TrimSpace(t.Language)
		switch {
		case name == "":
			bad(at("name"), "notifications.template.name is required: the approved template's name")
		case !templateName.MatchString(name):
			bad(at("name"), "notifications.template.name %q: a template name holds only a-z, 0-9 and _", name)
		}
		switch {
		case lang == "":
			bad(at("language"), "notifications.template.language is required: the approved template's language code (id, en, en_US)")
		case !templateLanguage.MatchString(lang):
			bad(at("language"), "notifications.template.language %q: want a language code as Meta writes it (id, en, en_US)", lang)
		}
		if len(t.Params) > maxTemplateParams {
			bad(at("params"), "notifications.template.params: %d values, at most %d", len(t.Params), maxTemplateParams)
		}
		for i, p := range t.Params {
			if !slices.Contains(sigap.NotifyParams, p) {
				bad([]string{"notifications", "template", "params", fmt.Sprint(i)}, "notifications.template.params: unknown value %q (want one of %s)",
					p, strings.Join(sigap.NotifyParams, ", "))
			}
		}
		n.Template = &sigap.Template{Name: name, Language: lang, Params: slices.Clone(t.Params)}
	}
	o.Notifications = n
	return checks
}
