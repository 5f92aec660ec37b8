package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sigap-id/sigap/internal/graphtest"
)

var (
	demoPassword = regexp.MustCompile(`sign in as admin@demo\.local with password (\S+) \(shown once\)`)
	ticketNumber = regexp.MustCompile(`\b[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}\b`)
)

// waitStdout waits for serve to print a line matching re and returns its
// first group.
func (g *running) waitStdout(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(g.stdout.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve did not print %s:\n%s", re, g.stdout.String())
	return ""
}

// sentTo waits until the stand-in received a message to `to` whose text
// holds want, and returns that text.
func sentTo(t *testing.T, graph *graphtest.Server, to, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range graph.Sent() {
			if r.To() == to && strings.Contains(r.Text(), want) {
				return r.Text()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	var got []string
	for _, r := range graph.Sent() {
		got = append(got, r.To()+": "+r.Text())
	}
	t.Fatalf("no message to %s holding %q reached the Graph API stand-in; it got:\n%s", to, want, strings.Join(got, "\n---\n"))
	return ""
}

// TestConsoleInBrowser: in headless Chromium at a phone's width, the demo
// admin signs in with the password serve --demo printed, finds a chat
// handed over with #petugas and a complaint in the inbox, answers both,
// and both answers reach the applicants through the Graph API stand-in;
// #tiket then shows the ticket's answer. With SIGAP_SCREENSHOTS=1 it saves
// docs/screenshots/inbox.png and chat.png.
func TestConsoleInBrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	g := startGateway(t, nil)
	password := g.waitStdout(t, demoPassword)

	const chatter, complainer = "6281234500001", "6281234500002"
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.console1", chatter, "#petugas"}))
	sentTo(t, g.graph, chatter, "petugas")
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.console2", chatter, "Halo, paspor saya <b>rusak</b> terkena air, bagaimana?"}))
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.console3", complainer, "#pengaduan antrean pengambilan lama sekali, 3 jam belum dipanggil"}))
	number := ticketNumber.FindString(sentTo(t, g.graph, complainer, "tiket"))
	if number == "" {
		t.Fatal("no ticket number in the bot's answer to #pengaduan")
	}

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
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("browser: %s: %v", js, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		if os.Getenv("SIGAP_SCREENSHOTS") == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		dir := filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A phone: 390 px wide, nothing scrolls sideways.
	noSideways := func(page string) {
		t.Helper()
		if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
			t.Errorf("%s: page is %s px wide at 390 px, scrolls sideways", page, w)
		}
	}
	step("open the console",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(g.url+"/admin"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=email]`), "admin@demo.local"),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("items")),
	)
	inbox := eval(`document.body.innerText`)
	for _, want := range []string{chatter, complainer, number, "Pengaduan"} {
		if !strings.Contains(inbox, want) {
			t.Errorf("inbox does not show %q:\n%s", want, inbox)
		}
	}
	if title := eval(`document.title`); !strings.HasPrefix(title, "(2) ") {
		t.Errorf("inbox title %q, want the waiting count (2)", title)
	}
	noSideways("inbox")
	shot("inbox.png")
	// The inbox updates itself: a new handover shows up, and in the title.
	const newcomer = "6281234500003"
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.console6", newcomer, "#petugas"}))
	step("the inbox updates itself",
		chromedp.Poll[chromedp.Void](`document.title.startsWith("(3) ") && document.getElementById("items").innerText.includes("`+newcomer+`")`,
			chromedp.WithPollingTimeout(25*time.Second)))

	// The chat: the applicant's words escaped, a reply, sent.
	step("open the chat",
		chromedp.Click(chromedp.CSS(`a[href="/admin/chats/jakpus/`+chatter+`"]`)),
		chromedp.WaitVisible(chromedp.ID("history")),
	)
	if html := eval(`document.getElementById('history').innerHTML`); !strings.Contains(html, "&lt;b&gt;rusak&lt;/b&gt;") {
		t.Errorf("chat history does not show the applicant's text escaped:\n%s", html)
	}
	const chatReply = "Selamat siang, dengan Siti. Paspor rusak diganti: datang ke kantor dengan e-KTP dan paspor lama."
	step("answer the chat",
		chromedp.SetValue(chromedp.CSS(`#reply textarea`), chatReply),
		chromedp.Click(chromedp.CSS(`#reply button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok`)),
	)
	noSideways("chat")
	shot("chat.png")
	sentTo(t, g.graph, chatter, chatReply)

	// The ticket: open it from the inbox, answer it.
	const ticketReply = "Mohon maaf atas antreannya. Mulai besok loket pengambilan kami tambah satu."
	step("answer the ticket",
		chromedp.Navigate(g.url+"/admin/inbox"),
		chromedp.Click(chromedp.CSS(`a[href="/admin/tickets/jakpus/`+number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reply textarea`)),
		chromedp.SetValue(chromedp.CSS(`#reply textarea`), ticketReply),
		chromedp.Click(chromedp.CSS(`#reply button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok`)),
	)
	noSideways("ticket")
	if got := sentTo(t, g.graph, complainer, ticketReply); !strings.Contains(got, number) {
		t.Errorf("the ticket's answer does not name the ticket:\n%s", got)
	}
	// #tiket shows staff's answer.
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.console4", complainer, "#tiket " + number}))
	if got := sentTo(t, g.graph, complainer, "Sudah ditanggapi"); !strings.Contains(got, ticketReply) {
		t.Errorf("#tiket does not show staff's answer:\n%s", got)
	}
	// Hand the chat back: the bot answers the applicant again.
	step("hand back",
		chromedp.Navigate(g.url+"/admin/chats/jakpus/"+chatter),
		chromedp.Click(chromedp.CSS(`#handback button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("items")),
	)
	g.deliver(t, textDelivery(jakpusPhoneID, [3]string{"wamid.console5", chatter, "#bayar"}))
	sentTo(t, g.graph, chatter, "Rp950.000")
}
