package main

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSimulatorInBrowser drives the simulator page in headless Chromium as a
// tester would: type a keyword, open the menu list and tap a row, and check
// a status through the birth-date question.
func TestSimulatorInBrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	g := startGateway(t, nil)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()

	lastReply := `(() => { const r = document.querySelectorAll('#chat .msg.out'); return r.length ? r[r.length-1].innerText : ''; })()`
	waitReplies := func(n int) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](
			`document.querySelectorAll('#chat .msg.out').length >= `+strconv.Itoa(n),
			chromedp.WithPollingTimeout(10*time.Second))
	}
	say := func(text string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.ID("text"), text),
			chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		}
	}
	// ask sends text and returns the reply it gets, once it is there.
	n := 0
	ask := func(steps ...chromedp.Action[chromedp.Void]) string {
		t.Helper()
		n++
		if err := chromedp.Do(ctx, append(steps, waitReplies(n))...); err != nil {
			t.Fatalf("browser, reply %d: %v", n, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](lastReply))
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		return got
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(g.url+"/simulator"), chromedp.WaitVisible(chromedp.ID("compose"))); err != nil {
		t.Fatalf("open the simulator: %v", err)
	}
	payment := ask(say("#bayar")...)
	menuReply := ask(say("halo")...)
	tapped := ask(
		chromedp.Click(chromedp.CSS(`#chat .msg.out:last-child .open-list`)),
		chromedp.Click(chromedp.CSS(`#chat .msg.out:last-child button[data-choice="menu:syarat"]`)),
	)
	question := ask(say("1060-2026-1100-0007")...)
	status := ask(say("09091999")...)
	for _, c := range []struct{ name, got, want string }{
		{"#bayar", payment, "Rp950.000"},
		{"menu", menuReply, "Pilih layanan"},
		{"tapped list row", tapped, "Persyaratan"},
		{"number", question, "tanggal lahir"},
		{"birth date", status, "P**** A*****"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s: reply does not contain %q:\n%s", c.name, c.want, c.got)
		}
	}
	if strings.Contains(status, "Putri") {
		t.Errorf("status reply shows the name:\n%s", status)
	}
}
