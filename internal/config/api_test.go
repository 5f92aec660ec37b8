package config_test

import (
	"strings"
	"testing"

	"github.com/sigap-id/sigap/internal/config"
)

// TestFromEnvAPIRateLimit: SIGAP_API_RATE_LIMIT is a whole number of
// requests a minute per token, 600 when unset.
func TestFromEnvAPIRateLimit(t *testing.T) {
	for _, tt := range []struct {
		set  string
		want int
	}{{"", 600}, {"60", 60}, {" 1 ", 1}, {"0", 0}, {"-5", 0}, {"10/m", 0}, {"1.5", 0}, {"2000000", 0}} {
		env, err := config.FromEnv(envMap(map[string]string{"SIGAP_API_RATE_LIMIT": tt.set}))
		if tt.want == 0 {
			if err == nil || !strings.Contains(err.Error(), "SIGAP_API_RATE_LIMIT") {
				t.Errorf("%q: error = %v, want one naming SIGAP_API_RATE_LIMIT", tt.set, err)
			}
			continue
		}
		if err != nil || env.APIRateLimit != tt.want {
			t.Errorf("%q: APIRateLimit = %d, %v; want %d", tt.set, env.APIRateLimit, err, tt.want)
		}
	}
}
