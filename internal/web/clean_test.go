package web_test

import (
	"testing"
)

// TestSimulatorCleansText: what reaches the bot (and so the store) from
// the simulator is cleaned as a WhatsApp message is: no NUL or other
// control characters, on either engine.
func TestSimulatorCleansText(t *testing.T) {
	url, c, _ := start(t, setup{simulator: true})
	body := `{"office":"jakpus","from":"tester-1","text":"halo\u0000 min\u0085\r\n#saran\u001b","choice_id":"menu:\u0000status"}`
	if code, msg := postSim(t, url, "application/json", body); code != 200 {
		t.Fatalf("%d %q, want 200", code, msg)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) != 1 {
		t.Fatalf("%d messages reached the bot, want 1", len(c.msgs))
	}
	if m := c.msgs[0]; m.Text != "halo min\n#saran" || m.ChoiceID != "menu:status" {
		t.Errorf("the bot got text %q, choice %q", m.Text, m.ChoiceID)
	}
}
