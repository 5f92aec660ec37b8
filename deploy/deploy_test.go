package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sigap-id/sigap/internal/config"
)

// unit is a parsed systemd unit file: section → key → values in file order.
type unit map[string]map[string][]string

func readUnit(t *testing.T, name string) unit {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	u, section := unit{}, ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "", line[0] == '#', line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: cannot read line %q", name, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// get is the last value of a [Service] or [Unit] key ("" when unset).
func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// programs are the executables the unit's Exec lines run.
func (u unit) programs() []string {
	var progs []string
	for _, key := range []string{"ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop", "ExecReload"} {
		for _, v := range u["Service"][key] {
			if f := strings.Fields(strings.TrimLeft(v, "-@:+!|")); len(f) > 0 {
				progs = append(progs, f[0])
			}
		}
	}
	return progs
}

// unitFiles are the systemd units in this folder.
func unitFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.service")
	if err != nil || len(files) == 0 {
		t.Fatalf("no unit files here (%v)", err)
	}
	return files
}

// installSteps are the shell commands in a file's header comment: the
// lines indented by three spaces after the '#', without trailing comments.
func installSteps(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "#") {
			break
		}
		cmd, ok := strings.CutPrefix(line, "#   ")
		if !ok {
			continue
		}
		if i := strings.Index(cmd, " #"); i >= 0 {
			cmd = cmd[:i]
		}
		steps = append(steps, strings.TrimSpace(cmd))
	}
	if len(steps) == 0 {
		t.Fatalf("%s: no install steps in its header", name)
	}
	return steps
}

// TestUnitsPassSystemdVerify runs systemd-analyze verify on every unit, as
// installed: in a folder standing for the root, with the programs their
// Exec lines name present (stand-ins) and the one target verify needs.
// Verify needs no running systemd. Any complaint fails the test: verify
// exits 0 on unknown keys and bad values, which it only prints.
func TestUnitsPassSystemdVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd): the systemd units are not verified")
	}
	root := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("usr/lib/systemd/system/sysinit.target", "[Unit]\nDescription=System Initialization\n", 0o644)
	var instances []string
	for _, name := range unitFiles(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		write("etc/systemd/system/"+name, string(data), 0o644)
		for _, prog := range readUnit(t, name).programs() {
			write(prog, "#!/bin/sh\n", 0o755)
		}
		instances = append(instances, strings.Replace(name, "@.", "@8081.", 1))
	}
	for _, name := range instances {
		out, err := exec.Command(analyze, "verify", "--man=no", "--root="+root, "/etc/systemd/system/"+name).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", name, err, out)
		}
	}
}

// node is a file or folder on the machine the install steps run on.
type node struct {
	dir          bool
	mode         os.FileMode
	owner, group string
	src          string // where an installed file came from
}

// machine is what the install steps know of a fresh Debian and what they
// change on it.
type machine struct {
	t      *testing.T
	users  map[string]string // user → primary group
	groups map[string]bool
	files  map[string]node
	built  map[string]bool // files the steps build in the checkout
	enable []string        // units enabled
}

func freshDebian(t *testing.T) *machine {
	m := &machine{t: t, users: map[string]string{"root": "root"}, groups: map[string]bool{"root": true},
		files: map[string]node{}, built: map[string]bool{}}
	for _, d := range []string{"/", "/etc", "/etc/systemd", "/etc/systemd/system", "/usr", "/usr/local", "/usr/local/bin", "/var", "/var/lib"} {
		m.files[d] = node{dir: true, mode: 0o755, owner: "root", group: "root"}
	}
	for _, f := range []string{"/bin/sh", "/usr/sbin/nologin"} {
		m.files[f] = node{mode: 0o755, owner: "root", group: "root"}
	}
	return m
}

// run follows one step as a fresh Debian would, failing where it would fail.
func (m *machine) run(step string) {
	t := m.t
	for _, cmd := range strings.Split(step, "&&") {
		if strings.ContainsAny(cmd, `'"$;|<>`) {
			t.Errorf("step %q: keep steps to plain words, which this test follows", step)
			return
		}
		args := strings.Fields(cmd)
		for len(args) > 0 && strings.Contains(args[0], "=") {
			args = args[1:] // VAR=value before the command
		}
		if len(args) == 0 {
			t.Errorf("empty step in %q", step)
			return
		}
		switch args[0] {
		case "go":
			if i := slices.Index(args, "-o"); len(args) > 2 && args[1] == "build" && i > 0 && i+1 < len(args) {
				m.built[args[i+1]] = true
			} else {
				t.Errorf("step %q: want go build -o FILE", cmd)
			}
		case "useradd":
			m.useradd(args[1:])
		case "install":
			m.install(args[1:])
		case "systemctl":
			if len(args) > 2 && args[1] == "enable" {
				for _, a := range args[2:] {
					if !strings.HasPrefix(a, "-") {
						m.enable = append(m.enable, a)
					}
				}
			}
		case "journalctl":
		default:
			t.Errorf("step %q: %s is not a step this test knows", step, args[0])
		}
	}
}

func (m *machine) useradd(args []string) {
	t := m.t
	var name string
	userGroup := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "--system", "-r", "--no-create-home", "-M":
		case "--user-group", "-U":
			userGroup = true
		case "--home-dir", "-d":
			i++
		case "--shell", "-s":
			i++
			if i >= len(args) || m.files[args[i]].mode&0o111 == 0 {
				t.Errorf("useradd: shell %v is not on a fresh Debian", args[i:])
			}
		default:
			if strings.HasPrefix(a, "-") {
				t.Errorf("useradd %s: an option this test does not know", a)
			}
			name = a
		}
	}
	if name == "" || m.users[name] != "" {
		t.Errorf("useradd %v: no name, or the user exists", args)
		return
	}
	if !userGroup {
		// Debian's useradd makes a group of the user's name only when told
		// (or by login.defs, which a step should not count on).
		t.Errorf("useradd %s without --user-group: the units' Group=%s would not exist", name, name)
		return
	}
	m.users[name], m.groups[name] = name, true
}

func (m *machine) install(args []string) {
	t := m.t
	n := node{mode: 0o755, owner: "root", group: "root"}
	var operands []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-d":
			n.dir = true
		case "-m", "-o", "-g":
			if i+1 >= len(args) {
				t.Errorf("install %s: no value", a)
				return
			}
			i++
			switch a {
			case "-m":
				mode, err := strconv.ParseUint(args[i], 8, 32)
				if err != nil {
					t.Errorf("install -m %s: %v", args[i], err)
				}
				n.mode = os.FileMode(mode)
			case "-o":
				n.owner = args[i]
			case "-g":
				n.group = args[i]
			}
		default:
			operands = append(operands, a)
		}
	}
	if m.users[n.owner] == "" || !m.groups[n.group] {
		t.Errorf("install %v: user %s or group %s does not exist yet", args, n.owner, n.group)
	}
	if n.dir {
		for _, d := range operands {
			m.mkdir(d, n)
		}
		return
	}
	if len(operands) < 2 {
		t.Errorf("install %v: want SOURCE... DEST", args)
		return
	}
	dest, srcs := operands[len(operands)-1], operands[:len(operands)-1]
	for _, src := range srcs {
		if !m.built[src] {
			if _, err := os.Stat(filepath.Join("..", src)); err != nil {
				t.Errorf("install %s: not in the checkout (%v)", src, err)
			}
		}
		to := dest
		if len(srcs) > 1 || strings.HasSuffix(dest, "/") {
			if !m.files[path.Clean(dest)].dir {
				t.Errorf("install %v: %s is not a folder", args, dest)
			}
			to = path.Join(dest, path.Base(src))
		}
		if parent := path.Dir(to); !m.files[parent].dir {
			t.Errorf("install %s %s: folder %s does not exist (install -d it first)", src, to, parent)
		}
		n.src = src
		m.files[path.Clean(to)] = n
	}
}

func (m *machine) mkdir(d string, n node) {
	d = path.Clean(d)
	for p := d; !m.files[p].dir; p = path.Dir(p) {
		if p == d {
			m.files[p] = n
		} else {
			m.files[p] = node{dir: true, mode: 0o755, owner: "root", group: "root"}
		}
	}
}

// can says whether user may do what bits (4 read, 1 traverse) ask on p
// and traverse every folder above it.
func (m *machine) can(user, p string, bits os.FileMode) bool {
	check := func(n node, bits os.FileMode) bool {
		switch {
		case user == "root":
			return true
		case n.owner == user:
			return n.mode&(bits<<6) != 0
		case n.group == m.users[user]:
			return n.mode&(bits<<3) != 0
		}
		return n.mode&bits != 0
	}
	n, ok := m.files[p]
	if !ok || !check(n, bits) {
		return false
	}
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		if !check(m.files[d], 1) {
			return false
		}
	}
	return true
}

// envFile reads an environment file as systemd does (KEY=VALUE lines).
func envFile(t *testing.T, name string) map[string]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s:%d: want KEY=VALUE", name, n)
		}
		env[k] = v
	}
	return env
}

// TestInstallSteps follows the install steps in the units' headers on a
// model of a fresh Debian: every folder is made before a file goes in it,
// every file named is in the checkout, and what the units need afterwards
// is there: their user and group, programs, environment file, and the
// offices file and database folder that environment names.
func TestInstallSteps(t *testing.T) {
	m := freshDebian(t)
	single := installSteps(t, "sigap.service")
	for _, step := range single {
		m.run(step)
	}
	if !slices.Contains(m.enable, "sigap") && !slices.Contains(m.enable, "sigap.service") {
		t.Errorf("sigap.service's steps enable %v, not sigap", m.enable)
	}
	// The template's steps follow the single unit's, except enabling it.
	replicas := freshDebian(t)
	for _, step := range single {
		if !strings.HasPrefix(step, "systemctl") {
			replicas.run(step)
		}
	}
	for _, step := range installSteps(t, "sigap@.service") {
		replicas.run(step)
	}
	if len(replicas.enable) < 2 {
		t.Errorf("sigap@.service's steps enable %v, want two instances or more", replicas.enable)
	}

	for _, tc := range []struct {
		m    *machine
		unit string // as enabled
	}{{m, "sigap"}, {replicas, "sigap@8081"}} {
		for _, enabled := range tc.m.enable {
			file := strings.TrimSuffix(enabled, ".service") + ".service"
			if i := strings.Index(file, "@"); i >= 0 {
				if _, err := strconv.ParseUint(file[i+1:len(file)-len(".service")], 10, 16); err != nil {
					t.Errorf("instance %s: its name is the port it listens on, want a number", enabled)
				}
				file = file[:i+1] + ".service"
			}
			tc.m.checkUnit(file, map[string]bool{})
		}
	}
	if u := readUnit(t, "sigap.service"); !strings.HasPrefix(envFile(t, "sigap.env.example")["SIGAP_DATABASE"], "sqlite:/var/lib/"+u.get("Service", "StateDirectory")+"/") {
		t.Errorf("sigap.env.example's SIGAP_DATABASE is not in the unit's StateDirectory %s", u.get("Service", "StateDirectory"))
	}
}

// checkUnit checks that an installed unit (and the units of this folder it
// pulls in) has what it needs on m.
func (m *machine) checkUnit(file string, seen map[string]bool) {
	t := m.t
	if seen[file] {
		return
	}
	seen[file] = true
	installed, ok := m.files["/etc/systemd/system/"+file]
	if !ok || installed.src != "deploy/"+file {
		t.Errorf("%s: enabled or pulled in, but the steps do not install deploy/%s in /etc/systemd/system", file, file)
		return
	}
	u := readUnit(t, file)
	user, group := u.get("Service", "User"), u.get("Service", "Group")
	if m.users[user] == "" || m.users[user] != group {
		t.Errorf("%s: User=%s Group=%s, which the steps do not create", file, user, group)
	}
	if got := u.get("Service", "UMask"); got != "0077" {
		t.Errorf("%s: UMask=%q, want 0077: the files it makes hold personal data", file, got)
	}
	for _, prog := range u.programs() {
		if n, ok := m.files[prog]; !ok || n.mode&0o111 == 0 {
			t.Errorf("%s runs %s, which the steps do not install", file, prog)
		}
	}
	envName := strings.TrimPrefix(u.get("Service", "EnvironmentFile"), "-")
	envNode, ok := m.files[envName]
	if !ok {
		t.Errorf("%s: EnvironmentFile=%s, which the steps do not install", file, envName)
		return
	}
	if envNode.mode&0o007 != 0 || (envNode.mode&0o070 != 0 && envNode.group != group) {
		t.Errorf("%s: %s is mode %#o %s:%s; it holds secrets: want 0640 root:%s or 0600", file, envName, envNode.mode, envNode.owner, envNode.group, group)
	}
	env := envFile(t, filepath.Join("..", envNode.src))
	offices := env["SIGAP_OFFICES"]
	switch n, ok := m.files[offices]; {
	case offices == "":
		t.Errorf("%s: %s sets no SIGAP_OFFICES", file, envNode.src)
	case !ok:
		t.Errorf("%s: SIGAP_OFFICES=%s, which the steps do not install", file, offices)
	case !m.can(user, offices, 4):
		t.Errorf("%s: user %s cannot read %s (mode %#o %s:%s, or a folder above it)", file, user, offices, n.mode, n.owner, n.group)
	}
	for _, key := range []string{"Wants", "Requires", "After"} {
		for _, v := range u["Unit"][key] {
			for _, dep := range strings.Fields(v) {
				if _, err := os.Stat(dep); err == nil {
					m.checkUnit(dep, seen)
				}
			}
		}
	}
}

// TestReplicaAddress: each instance of the template listens on its own
// port, set on the command line, which SIGAP_ADDR in the shared environment
// file cannot override (flags win over the environment in sigap serve), and
// an instance refuses to start on SQLite, which serves one process only.
func TestReplicaAddress(t *testing.T) {
	u := readUnit(t, "sigap@.service")
	start := strings.Fields(u.get("Service", "ExecStart"))
	i := slices.Index(start, "--addr")
	if i < 0 || i+1 >= len(start) || !regexp.MustCompile(`^(127\.0\.0\.1|\[::1\]):%i$`).MatchString(start[i+1]) {
		t.Errorf("sigap@.service: ExecStart=%s; want --addr 127.0.0.1:%%i", strings.Join(start, " "))
	}
	if !slices.Contains(start, "--no-migrate") {
		t.Errorf("sigap@.service: ExecStart=%s; want --no-migrate (sigap-migrate.service migrates once)", strings.Join(start, " "))
	}

	pre := u.get("Service", "ExecStartPre")
	script, ok := strings.CutPrefix(pre, "/bin/sh -c '")
	if !ok || !strings.HasSuffix(script, "'") {
		t.Fatalf("sigap@.service: ExecStartPre=%s; want /bin/sh -c '...' refusing SQLite", pre)
	}
	// What systemd hands the shell: $$ is $, %i the instance, %% a %.
	script = strings.NewReplacer("$$", "$", "%i", "8081", "%%", "%").Replace(strings.TrimSuffix(script, "'"))
	for _, database := range []string{
		"postgres://sigap:p%40ss@db.example:5432/sigap?sslmode=verify-full&application_name=sigap",
		"postgresql://sigap@10.0.0.5/sigap",
		"sqlite:/var/lib/sigap/sigap.db",
		"sqlite:data/sigap.db",
		"",
	} {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "SIGAP_DATABASE=" + database}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		db, perr := config.ParseDatabase(database)
		if database == "" {
			db, perr = config.ParseDatabase("sqlite:data/sigap.db") // the default
		}
		if perr != nil {
			t.Fatal(perr)
		}
		if wantStart := db.Engine == "postgres"; (err == nil) != wantStart {
			t.Errorf("SIGAP_DATABASE=%q: ExecStartPre %v, want start = %v", database, err, wantStart)
		}
		if err != nil && !strings.Contains(stderr.String(), "sigap@8081: replicas share one PostgreSQL database") {
			t.Errorf("SIGAP_DATABASE=%q: the refusal says %q", database, stderr.String())
		}
	}
}

// TestExampleFiles: the examples the steps install are valid as they are.
func TestExampleFiles(t *testing.T) {
	env := envFile(t, "sigap.env.example")
	if _, err := config.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Errorf("sigap.env.example: %v", err)
	}
	if _, err := config.ParseDatabase(env["SIGAP_DATABASE"]); err != nil {
		t.Errorf("sigap.env.example: %v", err)
	}
	if _, err := config.LoadOffices("offices.example.yaml", func(string) string { return "" }, channels); err != nil {
		t.Errorf("offices.example.yaml: %v", err)
	}
}

// instruction is one line of a Containerfile, continuations joined.
type instruction struct {
	cmd  string // upper case
	args string
	line int
}

func readContainerfile(t *testing.T) ([]instruction, string) {
	t.Helper()
	data, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	var (
		out     []instruction
		pending string
		start   int
	)
	for n, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending == "") {
			continue
		}
		if pending == "" {
			start = n + 1
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending += s + " "
			continue
		}
		pending += trimmed
		cmd, args, _ := strings.Cut(pending, " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args), start})
		pending = ""
	}
	return out, string(data)
}

// words reads an instruction's arguments in JSON form or as plain words.
func words(args string) []string {
	var list []string
	if json.Unmarshal([]byte(args), &list) == nil {
		return list
	}
	return strings.Fields(args)
}

// distroless names its users; these are the ones its images have.
var distrolessIDs = map[string]string{"root": "0", "nonroot": "65532"}

func numericID(s string) string {
	if id, ok := distrolessIDs[s]; ok {
		return id
	}
	return s
}

// TestContainerfile: the image's user owns the data volume (a root-owned
// volume would stop the database from opening), the database is kept in
// it, and the offices come from a file the operator mounts, never the demo
// offices. No container engine runs here, so the file is read as the
// builder would read it.
func TestContainerfile(t *testing.T) {
	instrs, text := readContainerfile(t)
	stages := map[string][]instruction{}
	var final []instruction
	stage := ""
	for _, in := range instrs {
		if in.cmd == "FROM" {
			w := strings.Fields(in.args)
			stage = ""
			if len(w) == 3 && strings.EqualFold(w[1], "AS") {
				stage = w[2]
			}
			final = nil
			continue
		}
		final = append(final, in)
		if stage != "" {
			stages[stage] = append(stages[stage], in)
		}
	}
	var (
		uid, gid string
		volumes  []string
		env      = map[string]string{}
		run      []string
	)
	for _, in := range final {
		switch in.cmd {
		case "USER":
			u, g, _ := strings.Cut(in.args, ":")
			uid, gid = numericID(u), numericID(g)
		case "VOLUME":
			volumes = append(volumes, words(in.args)...)
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					env[k] = v
				}
			}
		case "ENTRYPOINT", "CMD":
			run = append(run, words(in.args)...)
		}
	}
	if uid == "" || uid == "0" {
		t.Fatalf("the image runs as %q; want the nonroot user", uid)
	}
	if len(volumes) == 0 {
		t.Fatal("no VOLUME: where is the database kept?")
	}
	for _, vol := range volumes {
		owned := false
		for _, in := range final {
			if in.cmd != "COPY" {
				continue
			}
			var from, chown string
			w := words(in.args)
			for len(w) > 0 && strings.HasPrefix(w[0], "--") {
				if v, ok := strings.CutPrefix(w[0], "--from="); ok {
					from = v
				}
				if v, ok := strings.CutPrefix(w[0], "--chown="); ok {
					chown = v
				}
				w = w[1:]
			}
			if len(w) < 2 || path.Clean(w[len(w)-1]) != path.Clean(vol) {
				continue
			}
			u, g, _ := strings.Cut(chown, ":")
			if numericID(u) != uid || (gid != "" && numericID(g) != gid) {
				t.Errorf("line %d: COPY to the volume %s owned by %q; the image runs as %s:%s", in.line, vol, chown, uid, gid)
				continue
			}
			// The folder copied must be made in the stage it comes from.
			made := false
			for _, b := range stages[from] {
				made = made || (b.cmd == "RUN" && strings.Contains(b.args, "mkdir") && strings.Contains(b.args, w[0]))
			}
			if !made {
				t.Errorf("line %d: stage %q does not mkdir %s", in.line, from, w[0])
			}
			owned = true
		}
		if !owned {
			t.Errorf("VOLUME %s: not made by a COPY --chown=%s:%s, so it is root's and user %s cannot create the database in it", vol, uid, gid, uid)
		}
	}

	db, err := config.ParseDatabase(env["SIGAP_DATABASE"])
	if err != nil {
		t.Fatalf("ENV SIGAP_DATABASE: %v", err)
	}
	if db.Engine == "sqlite" && !slices.ContainsFunc(volumes, func(v string) bool {
		return strings.HasPrefix(db.DSN, path.Clean(v)+"/")
	}) {
		t.Errorf("SIGAP_DATABASE=%s is not in a volume %v: the database would be lost with the container", env["SIGAP_DATABASE"], volumes)
	}
	offices := env["SIGAP_OFFICES"]
	if offices == "" {
		t.Error("ENV SIGAP_OFFICES is not set: the image would need the operator to remember it, and without it only --demo may run")
	} else if !strings.Contains(text, ":"+offices+":ro") {
		t.Errorf("the Containerfile's instructions do not show mounting the offices file on %s (-v FILE:%s:ro)", offices, offices)
	}
	if slices.Contains(run, "--demo") {
		t.Errorf("the image runs %v: the demo must be asked for, never the default", run)
	}
	if len(run) < 2 || run[1] != "serve" {
		t.Errorf("the image runs %v, want sigap serve", run)
	}
}

// TestInstallStepsOnThisMachine runs sigap.service's install steps as they
// are written, as root, in a mount namespace of their own whose /etc,
// /usr/local and /var are overlays on this machine's (so nothing is left
// behind), then starts the unit's command the way systemd would (its user,
// umask, state and working folder, environment file), and checks that it
// serves and that every file is as private as it should be. systemctl
// cannot run without systemd, so its steps are replaced by that start; the
// command listens on a free port rather than the example's 8080, which
// this shared machine may be using.
func TestInstallStepsOnThisMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and installs it in a namespace: not with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("the install steps need root (useradd, install -o); the model in TestInstallSteps still runs")
	}
	for _, tool := range []string{"unshare", "setpriv", "useradd", "mount", "install", "stat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the install steps are not run here", tool)
		}
	}
	tmp := t.TempDir()
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs tmpfs "+tmp+" && mkdir "+tmp+"/u "+tmp+"/w && mount -t overlay overlay -o lowerdir=/etc,upperdir="+tmp+"/u,workdir="+tmp+"/w /etc").CombinedOutput(); err != nil {
		t.Skipf("cannot mount an overlay in a private mount namespace here (%v: %s): the install steps are not run", err, bytes.TrimSpace(out))
	}

	// The checkout the steps run in: the deploy folder and the binary that
	// the go build step makes (built here from the repository's root).
	checkout := filepath.Join(tmp, "checkout")
	deployDir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(deployDir, filepath.Join(checkout, "deploy")); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(checkout, "sigap"), "./cmd/sigap")
	build.Dir, build.Env = "..", append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	u := readUnit(t, "sigap.service")
	svc := func(key string) string {
		v := u.get("Service", key)
		if v == "" {
			t.Fatalf("sigap.service has no %s", key)
		}
		return v
	}
	var script strings.Builder
	fmt.Fprintf(&script, "set -eu\nT=%s\nmount -t tmpfs tmpfs $T/ovl\n", tmp)
	for _, d := range []string{"/etc", "/usr/local", "/var"} {
		n := strings.ReplaceAll(d, "/", "_")
		fmt.Fprintf(&script, "mkdir -p $T/ovl/%[1]s.u $T/ovl/%[1]s.w\nmount -t overlay overlay -o lowerdir=%[2]s,upperdir=$T/ovl/%[1]s.u,workdir=$T/ovl/%[1]s.w %[2]s\n", n, d)
	}
	fmt.Fprintf(&script, "cd %s\n", checkout)
	for _, step := range installSteps(t, "sigap.service") {
		if strings.Contains(step, "go build") || strings.HasPrefix(step, "systemctl") || strings.HasPrefix(step, "journalctl") {
			continue
		}
		fmt.Fprintf(&script, "echo '+ %s' >&2\n%s\n", step, step)
	}
	// What systemd does to start the unit.
	user, group := svc("User"), svc("Group")
	fmt.Fprintf(&script, "install -d -m %s -o %s -g %s /var/lib/%s\n", svc("StateDirectoryMode"), user, group, svc("StateDirectory"))
	fmt.Fprintf(&script, "cd %s\numask %s\nset -a\n. %s\nset +a\n", svc("WorkingDirectory"), svc("UMask"), svc("EnvironmentFile"))
	fmt.Fprintf(&script, ": >$T/out\nsetpriv --reuid=%s --regid=%s --init-groups %s --addr 127.0.0.1:0 >$T/out 2>$T/err &\n", user, group, svc("ExecStart"))
	script.WriteString(`pid=$!
i=0
while [ $i -lt 300 ] && ! grep -q "SIGAP is running at" $T/out && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i+1)); done
echo "== files (while it serves)"
stat -c '%a %U %G %n' /etc/sigap /etc/sigap/* /usr/local/bin/sigap /var/lib/sigap /var/lib/sigap/* || true
kill -TERM $pid 2>/dev/null || true
wait $pid || true
echo "== stdout"; cat $T/out
echo "== stderr"; cat $T/err
`)
	if err := os.Mkdir(filepath.Join(tmp, "ovl"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script.String())
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the install steps failed: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "SIGAP is running at") {
		t.Errorf("the unit's command did not start serving:\n%s", text)
	}
	files := map[string]string{}
	_, list, _ := strings.Cut(text, "== files (while it serves)\n")
	list, _, _ = strings.Cut(list, "== stdout")
	for line := range strings.Lines(list) {
		if f := strings.Fields(line); len(f) == 4 {
			files[f[3]] = strings.Join(f[:3], " ")
		}
	}
	for name, want := range map[string]string{
		"/etc/sigap":              "750 root " + group,
		"/etc/sigap/sigap.env":    "640 root " + group,
		"/etc/sigap/offices.yaml": "640 root " + group,
		"/usr/local/bin/sigap":    "755 root root",
		"/var/lib/sigap":          "700 " + user + " " + group,
		"/var/lib/sigap/sigap.db": "600 " + user + " " + group,
		// WAL mode: these exist while the database is open.
		"/var/lib/sigap/sigap.db-wal": "600 " + user + " " + group,
		"/var/lib/sigap/sigap.db-shm": "600 " + user + " " + group,
	} {
		if files[name] != want {
			t.Errorf("%s: %q, want %q", name, files[name], want)
		}
	}
	if t.Failed() {
		t.Logf("what ran:\n%s\noutput:\n%s", script.String(), text)
	}
}
