package rampart

import "fmt"

// Mode is how a guard treats what it would refuse. Every guard with a
// Mode setting (gqlsec's operation limits, cost limit, budget,
// introspection and trusted documents; httpsec's CSRF, body limit, rate
// limit and TLS requirement; wssec's caps and rates; directives'
// @rateLimit) reads it the same way. The zero value is Enforce: a guard
// nobody configured refuses, so the hardened default never depends on a
// setting being written.
type Mode uint8

const (
	// Enforce refuses the request (the default).
	Enforce Mode = iota
	// Measure evaluates the guard, records the would-be refusal (metrics
	// with outcome "measured", and one log line with the request id) and
	// lets the request through. Use it to roll a new limit out: watch what
	// it would refuse before it refuses anything.
	Measure
	// Off skips the guard: nothing is evaluated or recorded.
	Off
)

// modeNames lists the text forms of the modes, in order.
var modeNames = [...]string{Enforce: "enforce", Measure: "measure", Off: "off"}

// String returns "enforce", "measure" or "off".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode reads "enforce", "measure" or "off" (and "" as enforce).
// Anything else is an error wrapping ErrConfig.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "enforce":
		return Enforce, nil
	case "measure":
		return Measure, nil
	case "off":
		return Off, nil
	}
	return Enforce, fmt.Errorf("%w: mode %q (want enforce, measure or off)", ErrConfig, s)
}

// Valid reports whether m is one of Enforce, Measure and Off.
func (m Mode) Valid() bool { return m <= Off }

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("%w: invalid %v", ErrConfig, m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (ParseMode), so a
// configuration file can write "depth": "measure".
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Outcome names what a guard did with a request it would refuse under
// mode m: "rejected" (Enforce) or "measured" (Measure). Metrics and logs
// use these words.
func (m Mode) Outcome() string {
	if m == Measure {
		return "measured"
	}
	return "rejected"
}
