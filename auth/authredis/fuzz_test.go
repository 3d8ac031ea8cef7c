package authredis

import (
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth/refresh"
)

// FuzzTimeRoundTrip: every time the stores write comes back equal.
func FuzzTimeRoundTrip(f *testing.F) {
	for _, t := range []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 1, time.UTC), time.Unix(0, 0), time.Unix(-1, 999_999_999),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
	} {
		f.Add(t.Unix(), int64(t.Nanosecond()))
	}
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		in := time.Unix(sec, nsec)
		s := formatTime(in)
		out, err := parseTime(s)
		if err != nil || !out.Equal(in) {
			t.Fatalf("%v -> %q -> %v, %v", in, s, out, err)
		}
	})
}

// FuzzDecodeRecord feeds arbitrary field values, as a corrupted or foreign
// key would hold: decodeRecord never panics, and what it accepts encodes
// back to the same record.
func FuzzDecodeRecord(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good := refresh.Record{
		Hash: "h", FamilyID: "fam", Subject: "u", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		FamilyExpiresAt: now.Add(2 * time.Hour), UsedAt: now.Add(time.Minute), Revoked: true,
	}
	args, _ := recordArgs(good)
	f.Add(args[0].(string), args[1].(string), args[2].(string), args[3].(string), args[4].(string), args[5].(string), args[6].(string))
	f.Add("fam", "u", "", "", "1772366400.000000000", "", "0")
	f.Add("", "u", "1.1", "x", "1772366400.0", "+1.000000000", "1")
	f.Add("fam", "", "-5.000000001", "9223372036854775807.999999999", "1.999999999", "1.-00000001", "2")
	f.Fuzz(func(t *testing.T, fam, sub, created, expires, famExpires, used, revoked string) {
		rec, err := decodeRecord("h", []any{fam, sub, created, expires, famExpires, used, revoked})
		if err != nil {
			return
		}
		if rec.FamilyID == "" || rec.FamilyExpiresAt.IsZero() || rec.Hash != "h" {
			t.Fatalf("accepted a record without family: %+v", rec)
		}
		args, err := recordArgs(rec)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		vals := make([]any, recordFields)
		copy(vals, args[:recordFields])
		again, err := decodeRecord("h", vals)
		if err != nil || again != rec {
			t.Fatalf("round trip: %+v -> %+v, %v", rec, again, err)
		}
	})
}
