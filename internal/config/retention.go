package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

// retentionVars name the environment variable of each retention period
// (README, docs/privacy.md).
func retentionVars(p *sigap.RetentionPolicy) []struct {
	key  string
	into *time.Duration
} {
	return []struct {
		key  string
		into *time.Duration
	}{
		{"SIGAP_RETAIN_MESSAGE_TEXT", &p.MessageText},
		{"SIGAP_RETAIN_MESSAGE_IDS", &p.Messages},
		{"SIGAP_RETAIN_REPLIES", &p.Replies},
		{"SIGAP_RETAIN_CONVERSATIONS", &p.Conversations},
		{"SIGAP_RETAIN_TICKETS", &p.Tickets},
		{"SIGAP_RETAIN_SUBSCRIPTIONS", &p.Subscriptions},
		{"SIGAP_RETAIN_APPLICATIONS", &p.Applications},
		{"SIGAP_RETAIN_TEST_SENDERS", &p.TestSenders},
		{"SIGAP_RETAIN_API_WRITES", &p.APIWrites},
		{"SIGAP_RETAIN_AUDIT", &p.Audit},
	}
}

// retentionFromEnv reads the SIGAP_RETAIN_* periods; those not set are the
// defaults. A period is a Go duration (36h) or whole days (90d).
func retentionFromEnv(get func(key, def string) string) (sigap.RetentionPolicy, error) {
	var p sigap.RetentionPolicy
	for i, v := range retentionVars(&p) {
		s := get(v.key, "")
		if s == "" {
			continue
		}
		d, err := parsePeriod(s)
		if err != nil || d == 0 {
			return p, fmt.Errorf("%s %q: want a period such as 90d or 36h", v.key, s)
		}
		// The domain says how short each period may be: checked alone.
		var one sigap.RetentionPolicy
		*retentionVars(&one)[i].into = d
		if err := one.Check(); err != nil {
			return p, fmt.Errorf("%s %q: %w", v.key, s, err)
		}
		*v.into = d
	}
	return p.OrDefaults(), nil
}

// parsePeriod reads a Go duration or a whole number of days ("90d").
func parsePeriod(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("bad number of days %q", days)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}
