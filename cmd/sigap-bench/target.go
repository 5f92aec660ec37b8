package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/demo"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// buildSigap builds cmd/sigap into dir; the tool must run inside the module.
func buildSigap(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "sigap")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sigap-id/sigap/cmd/sigap")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sigap (run inside the module, or give -sigap PATH): %v\n%s", err, out)
	}
	return bin, nil
}

// officesFile writes the embedded demo offices, and the extra offices of f
// (copies of their demo office), with each number's send budget set to mps
// (0: as the demo file has it, the Cloud API's default 80). The file is
// checked as sigap will check it.
func officesFile(dir string, mps int, f fleet) (string, error) {
	y := demo.OfficesYAML
	if len(f) > len(demoOffices) {
		var err error
		if y, err = withCopies(y, f); err != nil {
			return "", fmt.Errorf("offices file: %w", err)
		}
	}
	s := string(y)
	if mps > 0 {
		re := regexp.MustCompile(`(?m)^(\s+)phone_number_id: (.*)$`)
		s = re.ReplaceAllString(s, "${1}phone_number_id: ${2}\n${1}messages_per_second: "+strconv.Itoa(mps))
	}
	path := filepath.Join(dir, "offices.yaml")
	cloudAPI := map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}}
	parsed, err := config.ParseOffices(path, []byte(s), func(string) string { return "" }, cloudAPI)
	if err != nil {
		return "", err
	}
	for _, o := range f {
		if got, ok := parsed.ByAddress(whatsapp.ChannelName, o.phoneID); !ok || got.Code != o.code {
			return "", fmt.Errorf("offices file %s: no office %s with phone_number_id %s", path, o.code, o.phoneID)
		}
	}
	return path, os.WriteFile(path, []byte(s), 0o600)
}

// withCopies adds f's extra offices to an offices file: each a copy of its
// demo office's entry, settings and texts alike, with its own code, name
// and phone_number_id.
func withCopies(src []byte, f fleet) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("not one YAML document")
	}
	list := yamlValue(doc.Content[0], "offices")
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, errors.New("no list under offices:")
	}
	byCode := map[string]*yaml.Node{}
	for _, n := range list.Content {
		if c := yamlValue(n, "code"); c != nil {
			byCode[c.Value] = n
		}
	}
	for _, o := range f {
		if o.copy == 1 {
			continue
		}
		d := demoOffices[o.kind]
		orig := byCode[d.code]
		if orig == nil {
			return nil, fmt.Errorf("the demo offices have no %s to copy", d.code)
		}
		c := copyYAML(orig)
		code, name := yamlValue(c, "code"), yamlValue(c, "name")
		phone := yamlValue(yamlValue(c, "whatsapp"), "phone_number_id")
		if name == nil || phone == nil {
			return nil, fmt.Errorf("the demo office %s has no name or whatsapp.phone_number_id", d.code)
		}
		code.Value = o.code
		name.Value = fmt.Sprintf("%s (salinan %d)", name.Value, o.copy)
		phone.Value, phone.Style = o.phoneID, yaml.DoubleQuotedStyle
		list.Content = append(list.Content, c)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// yamlValue is the value of key in a mapping node, or nil.
func yamlValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// copyYAML copies a node and everything under it.
func copyYAML(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = copyYAML(k)
	}
	return &c
}

// sigapProcess is a running `sigap serve --demo`.
type sigapProcess struct {
	cmd   *exec.Cmd
	URL   string
	demo  map[string][]knownApp // the demo applications serve --demo printed, by office code
	mu    sync.Mutex
	log   bytes.Buffer // stderr, capped
	lines int          // stderr lines
	done  chan error

	stopOnce sync.Once
}

func (p *sigapProcess) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines += bytes.Count(b, []byte("\n"))
	if p.log.Len() < 1<<20 {
		p.log.Write(b)
	}
	return len(b), nil
}

func (p *sigapProcess) stderr() (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String(), p.lines
}

var hintLine = regexp.MustCompile(`^\s+(\S+)\s+(\d{16})\s+(\d{2}-\d{2}-\d{4})\s`)

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startSigap runs bin serve --demo with env and waits until it is ready.
func startSigap(ctx context.Context, bin string, env []string) (*sigapProcess, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	var clean []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIGAP_") && !strings.HasPrefix(kv, "WHATSAPP_") {
			clean = append(clean, kv)
		}
	}
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Env = append(append(clean, "SIGAP_ADDR="+addr), env...)
	p := &sigapProcess{cmd: cmd, demo: map[string][]knownApp{}, done: make(chan error, 1)}
	cmd.Stderr = p
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	ready := make(chan error, 1)
	go func() {
		first := true
		for lines.Scan() {
			line := lines.Text()
			if first {
				first = false
				u, ok := strings.CutPrefix(line, "SIGAP is running at ")
				if !ok {
					ready <- fmt.Errorf("sigap's first line: %q", line)
					continue
				}
				p.mu.Lock()
				p.URL = u
				p.mu.Unlock()
				continue
			}
			if m := hintLine.FindStringSubmatch(line); m != nil {
				birth, err := time.Parse("02-01-2006", m[3])
				if err != nil {
					continue
				}
				p.mu.Lock()
				p.demo[m[1]] = append(p.demo[m[1]], knownApp{number: m[2], birth: birth})
				p.mu.Unlock()
			}
		}
		ready <- errors.New("sigap closed its output")
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-p.done:
			log, _ := p.stderr()
			return nil, fmt.Errorf("sigap ended at start (%v):\n%s", err, log)
		case err := <-ready:
			if p.url() == "" {
				p.stop()
				log, _ := p.stderr()
				return nil, fmt.Errorf("%w:\n%s", err, log)
			}
		case <-deadline:
			p.stop()
			log, _ := p.stderr()
			return nil, fmt.Errorf("sigap not ready within a minute:\n%s", log)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		u := p.url()
		if u == "" {
			continue
		}
		resp, err := http.Get(u + "/readyz")
		if err == nil {
			resp.Body.Close()
			p.mu.Lock()
			hints := true
			for _, o := range demoOffices {
				hints = hints && len(p.demo[o.code]) > 0
			}
			p.mu.Unlock()
			if resp.StatusCode == http.StatusOK && hints {
				return p, nil
			}
		}
	}
}

// demoApps is a copy of the demo applications seen so far, by office code.
func (p *sigapProcess) demoApps() map[string][]knownApp {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string][]knownApp, len(p.demo))
	for code, list := range p.demo {
		m[code] = slices.Clone(list)
	}
	return m
}

func (p *sigapProcess) url() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.URL
}

// stop asks sigap to stop (SIGTERM), and kills it after 20 seconds.
func (p *sigapProcess) stop() {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// procStatus reads VmHWM and VmRSS (kB) of a process.
func procStatus(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			hwm = n
		case "VmRSS":
			rss = n
		}
	}
	return hwm, rss
}

// cpuTime reads a process's user and system CPU time.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// machineBusy reads the CPU time the whole machine spent not idle (every
// process: the server, the tool, a database server).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		busy += n
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(busy) * time.Second / ticks
}
