package sigap

import "testing"

func TestReplyRef(t *testing.T) {
	r := ReplyRef{Office: "jkt-selatan", ID: 4711}
	if got := r.String(); got != "sigap:jkt-selatan:4711" {
		t.Fatalf("String = %q", got)
	}
	if got, ok := ParseReplyRef(r.String()); !ok || got != r {
		t.Fatalf("ParseReplyRef(%q) = %+v, %v", r.String(), got, ok)
	}
	for _, bad := range []string{"", "sigap:", "sigap:x", "sigap::1", "sigap:x:0", "sigap:x:-1", "sigap:x:01", "sigap:x:1a", "other:x:1", "x:1"} {
		if got, ok := ParseReplyRef(bad); ok {
			t.Errorf("ParseReplyRef(%q) = %+v, want none", bad, got)
		}
	}
}
