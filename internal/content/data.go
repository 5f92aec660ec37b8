package content

// Data is what every text and list is rendered with. A text uses the
// fields it needs and leaves the rest; the bot fills those that apply to
// the answer at hand. Because every text gets the same type, an office's
// own version of a text may use any field without failing at run time.
type Data struct {
	// The office. Always set; Hours, Address and Phone may be empty.
	Office  string
	Hours   string
	Address string
	Phone   string
	// HasMap: the office's map location follows in its own message.
	HasMap              bool
	Latitude, Longitude string

	// The menu: Unknown when the message before was not understood,
	// Switched when the language was just changed to this one.
	Unknown  bool
	Switched bool

	// An application and its status.
	Number          string
	AskedBirthDate  bool
	Name            string // masked: "B*** S******"
	Stage           string
	Since           string
	Note            string
	Next            string
	Todo            string
	BillingCode     string
	BillingDeadline string
	BillingExpired  bool
	CollectBy       string
	CollectOverdue  bool
	NotifyHint      bool
	OtherOffice     string
	OtherNumber     string

	// Two services the message may mean, for "choice.*": their titles.
	Choice1, Choice2 string

	// A date and time, for "datetime".
	Date, Hour, Minute, Zone string

	// Limits: the limit reached and when to try again.
	Max   int
	Until string

	// A feedback ticket.
	Ticket string
	Kind   string
	State  string
	Open   bool
	Reply  string

	// Notifications: whether they are on and the applications watched.
	Notify  bool
	Numbers string

	// The privacy notice: how long each kind of data is kept, in words
	// ("24 jam", "1 tahun"), and Count, the number of a period being put
	// in words (privacy.hours, privacy.days, privacy.years).
	KeepText, KeepReplies, KeepConversations, KeepTickets, KeepApplications string
	Count                                                                   int

	// The pickup queue number the office published today, and when it
	// was set ("2 Desember 2026 pukul 10.15 WIB"), for "pickup_queue".
	QueueNumber, QueueSetAt string
}

// Sample is a Data with every field set, for checking that texts render.
func Sample() Data {
	return Data{
		Office: "Kantor Imigrasi Kelas I Khusus Tempat Pemeriksaan Imigrasi Jakarta Pusat",
		Hours:  "Senin-Jumat 08.00-16.00 WIB", Address: "Jl. Merpati Blok B-12 No. 3, Kemayoran", Phone: "(021) 4200444",
		HasMap: true, Latitude: "-6.1619", Longitude: "106.8455",
		Unknown: true, Switched: true,
		Number: "3100000000000001", AskedBirthDate: true, Name: "B*** S******", Stage: "Siap diambil",
		Since: "12 Januari 2026", Note: "Akta kelahiran belum diunggah.", Next: "next", Todo: "todo",
		BillingCode: "820260120000001", BillingDeadline: "20 Januari 2026 pukul 11.30 WIB", BillingExpired: true,
		CollectBy: "11 Februari 2026", CollectOverdue: true, NotifyHint: true,
		OtherOffice: "Kantor Imigrasi Kelas I TPI Mataram", OtherNumber: "+62 811-3838-389",
		Choice1: "Biaya & cara bayar", Choice2: "Persyaratan",
		Date: "12 Januari 2026", Hour: "09", Minute: "05", Zone: "WIB",
		Max: 10, Until: "20 Januari 2026 pukul 11.00 WIB",
		Ticket: "K7M-3QX", Kind: "Pengaduan", State: "Diterima", Open: true, Reply: "Terima kasih, sudah kami tindak lanjuti.",
		Notify: true, Numbers: "3100000000000001",
		KeepText: "24 jam", KeepReplies: "30 hari", KeepConversations: "90 hari", KeepTickets: "1 tahun", KeepApplications: "1 tahun",
		Count:       2,
		QueueNumber: "A-123", QueueSetAt: "12 Januari 2026 pukul 10.15 WIB",
	}
}
