package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
)

const notifyOffice = `offices:
  - code: jakpus
    name: Jakarta Pusat
    whatsapp: {phone_number_id: "100000000000001"}
`

func TestParseOfficesNotifications(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       sigap.OfficeNotifications
	}{
		{"defaults", "", sigap.OfficeNotifications{Quiet: sigap.DefaultQuietHours}},
		{"none", "    quiet_hours: none\n", sigap.OfficeNotifications{}},
		{"within a day", "    quiet_hours: \"01:30-05:00\"\n",
			sigap.OfficeNotifications{Quiet: sigap.QuietHours{From: 90 * time.Minute, To: 5 * time.Hour}}},
		{"wrapping midnight, unquoted", "    quiet_hours: 22:00-07:15\n",
			sigap.OfficeNotifications{Quiet: sigap.QuietHours{From: 22 * time.Hour, To: 7*time.Hour + 15*time.Minute}}},
		{"after look-up and a template", `    notify_after_lookup: true
    notifications:
      template: {name: sigap_status_update, language: id, params: [stage, number_masked]}
`, sigap.OfficeNotifications{Quiet: sigap.DefaultQuietHours, AfterLookup: true,
			Template: &sigap.Template{Name: "sigap_status_update", Language: "id", Params: []string{"stage", "number_masked"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := config.ParseOffices("offices.yaml", []byte(notifyOffice+tt.yaml), noEnv, channels)
			if err != nil {
				t.Fatal(err)
			}
			got := o.List()[0].Notifications
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("notifications (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseOfficesNotificationsInvalid(t *testing.T) {
	for _, tt := range []struct {
		yaml, want string
	}{
		{"    quiet_hours: \"21:00\"\n", `line 5: office "jakpus": quiet_hours "21:00": want HH:MM-HH:MM`},
		{"    quiet_hours: \"25:00-06:00\"\n", `line 5: office "jakpus": quiet_hours "25:00-06:00"`},
		{"    quiet_hours: \"06:00-06:00\"\n", `line 5: office "jakpus": quiet_hours "06:00-06:00"`},
		{"    quiet_hours: off\n", `line 5: office "jakpus": quiet_hours "off"`},
		{"    notify_after_lookup: yes please\n", `line 5: office "jakpus": notify_after_lookup: want true or false`},
		{"    notifications:\n      template: {language: id}\n", `line 6: office "jakpus": notifications.template.name is required`},
		{"    notifications:\n      template: {name: Status Update, language: id}\n", `line 6: office "jakpus": notifications.template.name "Status Update"`},
		{"    notifications:\n      template:\n        name: a\n        language: indonesian\n", `line 8: office "jakpus": notifications.template.language "indonesian"`},
		{"    notifications:\n      template:\n        name: a\n        language: id\n        params: [stage, birth_date]\n",
			`line 9: office "jakpus": notifications.template.params: unknown value "birth_date"`},
		{"    notifications:\n      templat: {name: a, language: id}\n", `line 6: office "jakpus": unknown field notifications.templat`},
	} {
		_, err := config.ParseOffices("offices.yaml", []byte(notifyOffice+tt.yaml), noEnv, channels)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v\nwant it to contain %s", tt.yaml, err, tt.want)
		}
	}
}

func TestSpecExampleQuietHours(t *testing.T) {
	o, err := config.ParseOffices("spec.yaml", readTestdata(t, "spec.yaml"), noEnv, channels)
	if err != nil {
		t.Fatal(err)
	}
	if q := o.List()[0].Notifications.Quiet; q != sigap.DefaultQuietHours || q.String() != "21:00-06:00" {
		t.Errorf("quiet hours of the SPEC's example: %v", q)
	}
}
