package gqlws

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rampart-go/rampart/wssec"
)

func newTestTransport(t testing.TB) *Transport {
	t.Helper()
	tr, err := New(Options{Options: wssec.Options{AllowAnonymous: true}})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestSanitizeVariables: only the variables of a subscribe change, found
// the way gqlgen finds them (JSON keys match in any letter case), and every
// other byte of the message is kept.
func TestSanitizeVariables(t *testing.T) {
	t.Parallel()
	tr := newTestTransport(t)
	for _, tc := range []struct{ name, in, want string }{
		{"markup",
			`{"type":"subscribe","id":"1","payload":{"query":"subscription { a(x: \"<b>\") }","variables":{"r":"<b>lobby</b>","n":1e400}}}`,
			`{"type":"subscribe","id":"1","payload":{"query":"subscription { a(x: \"<b>\") }","variables":{"n":1e400,"r":"lobby"}}}`},
		{"benign_unchanged",
			`{"type":"subscribe","id":"1","payload":{"query":"q","variables":{"r":"lobby"}}}`,
			`{"type":"subscribe","id":"1","payload":{"query":"q","variables":{"r":"lobby"}}}`},
		{"key_in_other_case",
			`{"Type":"subscribe","id":"1","Payload":{"query":"q","VARIABLES":{"r":"<i>x</i>"}}}`,
			`{"Type":"subscribe","id":"1","Payload":{"query":"q","VARIABLES":{"r":"x"}}}`},
		{"repeated_payload_last_counts",
			`{"type":"subscribe","id":"1","payload":{"query":"q","variables":{"r":"ok"}},"payload":{"query":"q","variables":{"r":"<i>x</i>"}}}`,
			`{"type":"subscribe","id":"1","payload":{"query":"q","variables":{"r":"ok"}},"payload":{"query":"q","variables":{"r":"x"}}}`},
		{"not_subscribe",
			`{"type":"ping","payload":{"variables":{"r":"<i>x</i>"}}}`,
			`{"type":"ping","payload":{"variables":{"r":"<i>x</i>"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			m, err := decode(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.sanitize(in, &m); string(got) != tc.want {
				t.Fatalf("sanitize:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestRepeatedVariables: gqlgen merges repeated variables keys into one
// map, so decode flags them (check then closes with 4400).
func TestRepeatedVariables(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		`{"type":"subscribe","payload":{"query":"q","variables":{"a":"<b>"},"Variables":{"c":1}}}`: true,
		`{"type":"subscribe","payload":{"query":"q","variables":null,"variables":{"c":1}}}`:        true,
		`{"type":"subscribe","payload":{"query":"q","variables":{"a":"<b>"}}}`:                     false,
		`{"type":"subscribe","payload":{"query":"q"}}`:                                             false,
	} {
		m, err := decode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if m.Payload.variablesRepeated != want {
			t.Errorf("%s: variablesRepeated = %v, want %v", in, m.Payload.variablesRepeated, want)
		}
	}
}

// TestSpliceFallback: when the variables are not a slice of the message
// (a decoder that copies), the message is re-encoded to the same value.
func TestSpliceFallback(t *testing.T) {
	t.Parallel()
	tr := newTestTransport(t)
	in := []byte(`{"type":"subscribe","id":"1","x":[1],"payload":{"query":"q","operationName":"Op","variables":{"r":"<b>a</b>"}}}`)
	m, err := decode(in)
	if err != nil {
		t.Fatal(err)
	}
	spliced := tr.sanitize(in, &m)
	m.Payload.variables = bytes.Clone(m.Payload.variables)
	if _, ok := splice(in, m.Payload.variables, nil); ok {
		t.Fatal("splice accepted a slice that is not part of the message")
	}
	fallback := tr.sanitize(in, &m)
	if bytes.Equal(spliced, in) || bytes.Equal(fallback, in) {
		t.Fatalf("nothing sanitised: %s / %s", spliced, fallback)
	}
	var a, b any
	if json.Unmarshal(spliced, &a) != nil || json.Unmarshal(fallback, &b) != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("splice and fallback differ:\n%s\n%s", spliced, fallback)
	}
}

// BenchmarkIncomingMessage measures the Transport's own work on one
// incoming message (one decode, then sanitising a subscribe's variables):
// allocations per message are the figure to watch. Before the one-decode
// rewrite the same messages took 6 / 51 / 100 allocations (the message was
// decoded by the sanitizer, then again by the protocol check).
func BenchmarkIncomingMessage(b *testing.B) {
	tr := newTestTransport(b)
	for _, bc := range []struct{ name, msg string }{
		{"ping", `{"type":"ping"}`},
		{"subscribe_benign", `{"type":"subscribe","id":"1","payload":{"query":"subscription($r:String){events(room:$r)}","variables":{"r":"lobby"}}}`},
		{"subscribe_markup", `{"type":"subscribe","id":"1","payload":{"query":"subscription($r:String){events(room:$r)}","variables":{"r":"<b>lobby</b>"}}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.msg)
			b.ReportAllocs()
			for range b.N {
				m, err := decode(data)
				if err != nil {
					b.Fatal(err)
				}
				_ = tr.sanitize(data, &m)
			}
		})
	}
}
