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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sigap-id/sigap/internal/demo"
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

// officesFile writes the embedded demo offices with each number's send
// budget set to mps (0: as the demo file has it, the Cloud API's default 80).
func officesFile(dir string, mps int) (string, error) {
	y := string(demo.OfficesYAML)
	if mps > 0 {
		re := regexp.MustCompile(`(?m)^(\s+)phone_number_id: (.*)$`)
		y = re.ReplaceAllString(y, "${1}phone_number_id: ${2}\n${1}messages_per_second: "+strconv.Itoa(mps))
	}
	path := filepath.Join(dir, "offices.yaml")
	return path, os.WriteFile(path, []byte(y), 0o600)
}

// sigapProcess is a running `sigap serve --demo`.
type sigapProcess struct {
	cmd   *exec.Cmd
	URL   string
	demo  [2][]knownApp
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
	p := &sigapProcess{cmd: cmd, done: make(chan error, 1)}
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
				for i, o := range benchOffices {
					if o.code == m[1] {
						p.demo[i] = append(p.demo[i], knownApp{number: m[2], birth: birth})
					}
				}
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
			hints := len(p.demo[0]) > 0 && len(p.demo[1]) > 0
			p.mu.Unlock()
			if resp.StatusCode == http.StatusOK && hints {
				return p, nil
			}
		}
	}
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
