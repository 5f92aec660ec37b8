package console

// The services the bot reports (its intents), as staff read them on the
// dashboard. A service without words here is shown by its code.
func init() {
	addWords(map[string][2]string{
		"service.menu":                    {"Menu", "Menu"},
		"service.status":                  {"Status permohonan", "Application status"},
		"service.status_help":             {"Cara cek status", "How to check a status"},
		"service.payment":                 {"Pembayaran (#bayar)", "Payment (#bayar)"},
		"service.requirements":            {"Persyaratan (#syarat)", "Requirements (#syarat)"},
		"service.requirement.adult":       {"Syarat: dewasa", "Requirements: adult"},
		"service.requirement.child":       {"Syarat: anak", "Requirements: child"},
		"service.requirement.replacement": {"Syarat: penggantian", "Requirements: replacement"},
		"service.requirement.name_change": {"Syarat: ganti nama", "Requirements: change of name"},
		"service.requirement.lost":        {"Syarat: hilang", "Requirements: lost"},
		"service.requirement.damaged":     {"Syarat: rusak", "Requirements: damaged"},
		"service.requirement.hajj":        {"Syarat: haji/umrah", "Requirements: Hajj/Umrah"},
		"service.requirement.migrant":     {"Syarat: pekerja migran", "Requirements: migrant worker"},
		"service.apply":                   {"Cara mendaftar", "How to apply"},
		"service.pickup":                  {"Pengambilan (#antrian)", "Collection (#antrian)"},
		"service.location":                {"Lokasi (#lokasi)", "Location (#lokasi)"},
		"service.hours":                   {"Jam layanan (#jam)", "Hours (#jam)"},
		"service.phone":                   {"Telepon kantor", "Office telephone"},
		"service.feedback":                {"Pilihan masukan", "Feedback choice"},
		"service.feedback.suggestion":     {"Saran", "Suggestion"},
		"service.feedback.aspiration":     {"Aspirasi", "Aspiration"},
		"service.feedback.appreciation":   {"Apresiasi", "Appreciation"},
		"service.feedback.complaint":      {"Pengaduan", "Complaint"},
		"service.ticket":                  {"Cek tiket (#tiket)", "Ticket look-up (#tiket)"},
		"service.handover":                {"Minta petugas (#petugas)", "Staff asked for (#petugas)"},
		"service.handover_offer":          {"Tawaran petugas", "Staff offered"},
		"service.notify":                  {"Notifikasi (#notif)", "Notifications (#notif)"},
		"service.lang.en":                 {"Bahasa Inggris (#en)", "English (#en)"},
		"service.lang.id":                 {"Bahasa Indonesia (#id)", "Indonesian (#id)"},
		"service.thanks":                  {"Terima kasih", "Thanks"},
		"service.privacy":                 {"Privasi", "Privacy"},
		"service.outside.visa":            {"Di luar layanan: visa", "Outside: visa"},
		"service.outside.stay_permit":     {"Di luar layanan: izin tinggal", "Outside: stay permit"},
		"service.outside.id_card":         {"Di luar layanan: KTP", "Outside: ID card"},
		"service.unknown":                 {"Tidak dipahami", "Not understood"},
	})
}

// serviceName is a service's words in the view's language, or its code.
func (v View) serviceName(code string) string {
	if w := v.T("service." + code); w != "service."+code {
		return w
	}
	return code
}
