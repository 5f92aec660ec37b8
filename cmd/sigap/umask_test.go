//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProcessUmask: the real binary runs with umask 0077 whatever umask it
// was started with, so every file it creates is its user's alone.
func TestProcessUmask(t *testing.T) {
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "SIGAP_DATABASE=sqlite:"+filepath.Join(t.TempDir(), "sigap.db"), "SIGAP_OFFICES=")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	if !bufio.NewScanner(stdout).Scan() {
		t.Fatalf("sigap serve printed nothing:\n%s", &stderr)
	}
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			if got := strings.TrimSpace(v); got != "0077" {
				t.Errorf("umask of sigap serve = %s, want 0077", got)
			}
			return
		}
	}
	t.Skip("this kernel's /proc/PID/status has no Umask line")
}
