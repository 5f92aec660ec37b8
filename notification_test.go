package sigap_test

import (
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

func TestQuietHours(t *testing.T) {
	wita := time.FixedZone("WITA", 8*3600)
	at := func(h, m int) time.Time { return time.Date(2026, 1, 12, h, m, 0, 0, wita) }
	for _, tt := range []struct {
		spec string
		at   time.Time
		want time.Time // zero: not quiet
	}{
		{"21:00-06:00", at(20, 59), time.Time{}},
		{"21:00-06:00", at(21, 0), at(24+6, 0)},
		{"21:00-06:00", at(23, 59), at(24+6, 0)},
		{"21:00-06:00", at(0, 0), at(6, 0)},
		{"21:00-06:00", at(5, 59), at(6, 0)},
		{"21:00-06:00", at(6, 0), time.Time{}},
		{"01:30-05:00", at(1, 29), time.Time{}},
		{"01:30-05:00", at(1, 30), at(5, 0)},
		{"01:30-05:00", at(5, 0), time.Time{}},
		{"none", at(23, 0), time.Time{}},
		{" NONE ", at(3, 0), time.Time{}},
	} {
		q, err := sigap.ParseQuietHours(tt.spec)
		if err != nil {
			t.Fatalf("%q: %v", tt.spec, err)
		}
		// The same instant read in UTC: the office's zone decides.
		quiet, until := q.Quiet(tt.at.UTC(), wita)
		if quiet != !tt.want.IsZero() || !until.Equal(tt.want) {
			t.Errorf("%s at %s: quiet %v until %v; want until %v", tt.spec, tt.at.Format("15:04"), quiet, until, tt.want)
		}
	}
	for _, bad := range []string{"", "21:00", "21-06", "24:00-06:00", "21:60-06:00", "2100-0600", "06:00-06:00", "9:00-10:00", "ab:cd-06:00"} {
		if _, err := sigap.ParseQuietHours(bad); err == nil {
			t.Errorf("ParseQuietHours(%q) took it", bad)
		}
	}
	if s := sigap.DefaultQuietHours.String(); s != "21:00-06:00" {
		t.Errorf("default: %s", s)
	}
}
