package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sigap-id/sigap/internal/graphtest"
)

// waitReply waits for a reply to to whose text holds want, and returns it.
func waitReply(t *testing.T, g *running, to, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, r := range g.graph.Sent() {
			if r.To() == to && strings.Contains(r.Text(), want) {
				return r.Text()
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, r := range g.graph.Requests() {
				got = append(got, r.To()+" "+r.WAMID+" "+excerptOf(r.Text()))
			}
			t.Fatalf("no reply to %s holding %q; replies: %q", to, want, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsoleContentInBrowser drives the console in headless Chromium as
// an admin would: sign in, edit a text and see the bot use it over the
// WhatsApp webhook; find a message the bot did not understand, add a
// synonym from it in one step, and see the bot answer it; then save
// screenshots of the dashboard and of the simulator on a 390-pixel phone
// (docs/screenshots), checking that the phone page has no sideways scroll.
func TestConsoleContentInBrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	g := startGateway(t, nil)
	password := demoPassword.FindStringSubmatch(waitFor(t, g.stdout, "sign in as admin@demo.local"))[1]

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTime()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	body := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	wait := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second))
	}

	do("sign in",
		chromedp.Navigate(g.url+"/admin"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "admin@demo.local"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
	)
	settle := func(what, expr string) { // across a page load, which a poll does not survive
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("browser: %s: %s never held", what, expr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	settle("sign in", `location.pathname === '/admin/inbox'`)

	// Screenshots go to docs/screenshots.
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Edit a text; the live preview shows it as WhatsApp would.
	const sender = "6281299990001"
	g.deliver(t, textDelivery("100000000000001", [3]string{"wamid.ext.1", sender, "terima kasih"}))
	before := waitReply(t, g, sender, "")
	do("edit a text",
		chromedp.Navigate(g.url+"/admin/content/jakpus/text?lang=id&key=thanks"),
		chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("text").value = ""`),
		chromedp.SendKeys(chromedp.ID("text"), "Sama-sama, *salam hangat* dari {{.Office}}!"),
		wait(`(document.querySelector('#preview b') || {}).innerText === 'salam hangat'`),
		chromedp.Click(chromedp.ID("save")),
	)
	settle("save", `location.search.includes('done=saved') && document.querySelector('.ok') !== null`)
	shot("content-edit.png")
	g.deliver(t, textDelivery("100000000000001", [3]string{"wamid.ext.2", sender, "makasih"}))
	after := waitReply(t, g, sender, "salam hangat")
	if after == before || !strings.Contains(after, "Kantor Imigrasi") {
		t.Errorf("after the edit the bot says %q (before: %q)", after, before)
	}

	// Something the bot does not understand, a complaint, a handover and a
	// failed reply, for "not understood" and the dashboard.
	const other = "6281299990002"
	g.deliver(t, textDelivery("100000000000001", [3]string{"wamid.ext.3", other, "zorbax qwimble dong"}))
	g.deliver(t, textDelivery("100000000000001", [3]string{"wamid.ext.3b", "6281299990008", "Blorp 0812-3456-7890 snerk?"}))
	waitReply(t, g, other, "")
	g.graph.FailNext(1, graphtest.Failure{HTTPStatus: 400, Code: 131026, Message: "Message undeliverable"})
	g.deliver(t, textDelivery("100000000000001",
		[3]string{"wamid.ext.4", "6281299990003", "#bayar"},
		[3]string{"wamid.ext.5", "6281299990004", "#pengaduan antrian di loket 3 lama sekali"},
		[3]string{"wamid.ext.6", "6281299990005", "#petugas"},
		[3]string{"wamid.ext.7", "6281299990006", "1060202611000007"},
	))
	if sent := g.graph.WaitSent(6, 15*time.Second); len(sent) < 6 { // one of the four fails: 131026
		t.Fatalf("%d replies sent, want 6", len(sent))
	}

	// The unplaced message appears once the counts are written (5 s).
	deadline := time.Now().Add(20 * time.Second)
	for {
		do("not understood", chromedp.Navigate(g.url+"/admin/unknown"), chromedp.WaitVisible(chromedp.CSS(`h1`)))
		if strings.Contains(body(), "zorbax qwimble dong") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the unplaced message never showed:\n%s", body())
		}
		time.Sleep(time.Second)
	}
	shot("not-understood.png")
	do("add a synonym",
		chromedp.SetValue(chromedp.CSS(`.unknown-item select[name=intent]`), "pickup"),
		chromedp.SetValue(chromedp.CSS(`.unknown-item input[name=word]`), "qwimble"),
		chromedp.Click(chromedp.CSS(`.unknown-item button.primary`)),
	)
	settle("add a synonym", `(document.getElementById('result') || {innerText: ''}).innerText.includes('pickup')`)
	if !strings.Contains(body(), "zorbax qwimble dong") {
		t.Errorf("the result does not list the message it caught:\n%s", body())
	}
	pickup := waitReply(t, g, "6281299990003", "") // any reply, to compare below
	_ = pickup
	g.deliver(t, textDelivery("100000000000001", [3]string{"wamid.ext.8", other, "qwimble dong"}))
	g.deliver(t, textDelivery("100000000000001", [3]string{"wamid.ext.9", "6281299990007", "#antrian"}))
	want := waitReply(t, g, "6281299990007", "")
	if got := waitReply(t, g, other, want[:min(40, len(want))]); got != want {
		t.Errorf("after the synonym the bot answers %q, want the pickup answer", got)
	}

	do("dashboard", chromedp.Navigate(g.url+"/admin/dashboard?days=7"), chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
	if b := body(); !strings.Contains(b, "131026") {
		t.Errorf("the dashboard does not show the failure's code:\n%s", b)
	}
	shot("dashboard.png")

	do("phone-sized simulator",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.Navigate(g.url+"/simulator"), // demo: the open one; the console's is below
		chromedp.Navigate(g.url+"/admin/simulator"),
		chromedp.WaitVisible(chromedp.ID("compose")),
		chromedp.SendKeys(chromedp.ID("text"), "halo"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		wait(`document.querySelectorAll('#chat .msg.out').length >= 1`),
		chromedp.SendKeys(chromedp.ID("text"), "#petugas"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		wait(`document.querySelectorAll('#chat .msg.out').length >= 2`),
		chromedp.SendKeys(chromedp.ID("text"), "halo, ada orang?"),
		chromedp.Click(chromedp.CSS(`#compose button[type=submit]`)),
		wait(`document.querySelector('#chat .noreply') !== null`),
	)
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("the phone page is %d pixels wide (%v): it scrolls sideways", width, err)
	}
	header, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('office-name').innerText`))
	stamps, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chat .msg time').length`))
	if !strings.Contains(header, "Jakarta Pusat") || stamps < 5 {
		t.Errorf("chat header %q, %d timestamps", header, stamps)
	}
	shot("simulator-phone.png")
}

func excerptOf(s string) string {
	if len(s) > 30 {
		return s[:30]
	}
	return s
}
