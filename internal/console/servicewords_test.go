package console

import (
	"testing"

	"github.com/sigap-id/sigap/internal/bot"
)

// TestEveryServiceHasWords: the dashboard names every service the bot
// reports in both languages, never by its code.
func TestEveryServiceHasWords(t *testing.T) {
	for _, code := range bot.Services() {
		for _, lang := range []string{"id", "en"} {
			if got := (View{Lang: lang}).serviceName(code); got == code {
				t.Errorf("service %s has no %s words (servicewords.go)", code, lang)
			}
		}
	}
}
