package sigap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering checks the direction of the arrows that README.md draws, so
// that it is enforced rather than hoped for: the domain knows no storage or
// transport, the conversation does no I/O of its own, and only the binaries
// (cmd/) know the store engines.
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is not on PATH: cannot list the packages' dependencies")
	}
	const mod = "github.com/sigap-id/sigap"
	storage := []string{"database/sql", mod + "/internal/store"}
	transport := []string{"net/http", "net/rpc", mod + "/internal/whatsapp", mod + "/internal/web"}
	engines := []string{mod + "/internal/store/sqlite", mod + "/internal/store/postgres",
		"modernc.org/sqlite", "github.com/jackc/pgx"}

	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{mod, append(append([]string{}, storage...), transport...)},
		{mod + "/internal/bot", append(append([]string{}, storage...), transport...)},
		{mod + "/internal/content", append(append([]string{}, storage...), transport...)},
	}
	for _, r := range rules {
		deps := goList(t, "-deps", r.pkg)
		for _, d := range deps {
			for _, f := range r.forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s (through its imports); it must not", r.pkg, d)
				}
			}
		}
	}

	// Only cmd/ may import an engine directly; the shared store code and its
	// tests are the engines' own.
	for _, line := range goList(t, "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg := fields[0]
		if strings.HasPrefix(pkg, mod+"/cmd/") || strings.HasPrefix(pkg, mod+"/internal/store/") {
			continue
		}
		for _, imp := range fields[1:] {
			for _, e := range engines {
				if imp == e || strings.HasPrefix(imp, e+"/") {
					t.Errorf("%s imports the store engine %s; only cmd/ wires engines", pkg, imp)
				}
			}
		}
	}
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
