package console

// The console's own words (for staff; what applicants read is in
// internal/content). Each file of the package registers its words with
// addWords in an init function: Indonesian first, then English.

var words = map[string][2]string{}

func addWords(m map[string][2]string) {
	for k, v := range m {
		words[k] = v
	}
}

// word returns key's words in lang; the key itself when none.
func word(lang, key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if lang == "en" && w[1] != "" {
		return w[1]
	}
	return w[0]
}

func init() {
	addWords(map[string][2]string{
		"app.name":            {"SIGAP — Konsol Petugas", "SIGAP — Staff console"},
		"nav.inbox":           {"Kotak masuk", "Inbox"},
		"nav.applications":    {"Permohonan", "Applications"},
		"nav.content":         {"Konten", "Content"},
		"nav.not_understood":  {"Tidak dipahami", "Not understood"},
		"nav.dashboard":       {"Dasbor", "Dashboard"},
		"nav.simulator":       {"Simulator", "Simulator"},
		"nav.audit":           {"Audit", "Audit"},
		"nav.logout":          {"Keluar", "Sign out"},
		"nav.menu":            {"Menu", "Menu"},
		"office.all":          {"Semua kantor", "All offices"},
		"office.choose":       {"Kantor", "Office"},
		"office.apply":        {"Pilih", "Choose"},
		"lang.switch":         {"English", "Bahasa Indonesia"},
		"role.national_admin": {"Admin nasional", "National admin"},
		"role.office_admin":   {"Admin kantor", "Office admin"},
		"role.staff":          {"Petugas", "Staff"},

		"login.title":     {"Masuk", "Sign in"},
		"login.email":     {"Email", "Email"},
		"login.password":  {"Kata sandi", "Password"},
		"login.submit":    {"Masuk", "Sign in"},
		"login.wrong":     {"Email atau kata sandi salah.", "Wrong email or password."},
		"login.throttled": {"Terlalu banyak percobaan masuk yang gagal. Tunggu 15 menit, lalu coba lagi. Lupa kata sandi? Minta admin membuatkan yang baru.", "Too many failed sign-ins. Wait 15 minutes and try again. Forgot your password? Ask an admin for a new one."},
		"login.help":      {"Belum punya akun? Minta admin kantor Anda.", "No account yet? Ask your office's admin."},

		"error.csrf.title":        {"Formulir kedaluwarsa", "Form expired"},
		"error.csrf":              {"Formulir ini tidak bisa diterima (token keamanan tidak cocok). Muat ulang halaman, lalu kirim lagi.", "This form could not be accepted (its security token does not match). Reload the page and send it again."},
		"error.csrf_login.title":  {"Formulir kedaluwarsa", "Form expired"},
		"error.csrf_login":        {"Formulir masuk ini tidak bisa diterima. Buka lagi halaman masuk, lalu coba lagi. Pastikan cookie diizinkan.", "This sign-in form could not be accepted. Open the sign-in page again and retry. Make sure cookies are allowed."},
		"error.session.title":     {"Sesi berakhir", "Session ended"},
		"error.session":           {"Sesi Anda sudah berakhir. Silakan masuk lagi.", "Your session has ended. Please sign in again."},
		"error.not_found.title":   {"Tidak ditemukan", "Not found"},
		"error.not_found":         {"Halaman atau data ini tidak ada, atau bukan milik kantor Anda.", "This page or item does not exist, or is not your office's."},
		"error.forbidden.title":   {"Tidak diizinkan", "Not allowed"},
		"error.forbidden":         {"Akun Anda tidak boleh melakukan ini.", "Your account may not do this."},
		"error.bad_request.title": {"Permintaan tidak valid", "Bad request"},
		"error.bad_request":       {"Isian tidak valid.", "Invalid input."},
		"error.unavailable.title": {"Sedang tidak tersedia", "Unavailable"},
		"error.unavailable":       {"Basis data sedang tidak bisa dihubungi. Coba lagi sebentar lagi.", "The database cannot be reached. Try again shortly."},
		"back":                    {"Kembali", "Back"},

		"dur.now":  {"baru saja", "just now"},
		"dur.min":  {"%d mnt", "%d min"},
		"dur.hour": {"%d jam", "%d h"},
		"dur.day":  {"%d hari", "%d days"},
	})
}
