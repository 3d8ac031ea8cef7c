package gqlws

import (
	"bytes"
	"encoding/json"
)

// inbound is an incoming graphql-transport-ws message as the Transport
// checks it. decode fills it in one json.Unmarshal: the envelope and, when
// the payload is an object, the query and variables a subscribe carries.
// Payload and variables are not copied: they point into the message.
type inbound struct {
	Type    string         `json:"type"`
	ID      *string        `json:"id"`
	Payload inboundPayload `json:"payload"`
}

// inboundPayload is the payload of an inbound message.
type inboundPayload struct {
	// raw is the payload's JSON text inside the message (nil when absent).
	raw []byte
	// query and variables are the subscribe fields, read when the payload
	// is an object; variables points into the message too.
	query     *string
	variables []byte
	// variablesRepeated reports a payload with more than one variables key
	// (in any letter case). gqlgen would merge them into one map, so the
	// sanitizer, which sees one value, could be bypassed: check refuses it.
	variablesRepeated bool
}

// UnmarshalJSON implements json.Unmarshaler. It keeps b (a slice of the
// message being decoded, which is never modified) instead of copying it,
// and never fails: a payload of the wrong shape is reported by the check
// of the message type that needs it.
func (p *inboundPayload) UnmarshalJSON(b []byte) error {
	*p = inboundPayload{raw: b} // a repeated payload key: the last one counts, as in gqlgen
	var f struct {
		Query     *string `json:"query"`
		Variables rawRef  `json:"variables"`
	}
	if json.Unmarshal(b, &f) == nil {
		p.query, p.variables, p.variablesRepeated = f.Query, f.Variables.last, f.Variables.n > 1
	}
	return nil
}

// rawRef is like json.RawMessage but refers to the decoded text instead
// of copying it, and counts how often its key occurred.
type rawRef struct {
	last []byte
	n    int
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *rawRef) UnmarshalJSON(b []byte) error {
	r.last = b
	r.n++
	return nil
}

// decode is the Transport's one JSON decode of an incoming message.
func decode(data []byte) (inbound, error) {
	var m inbound
	err := json.Unmarshal(data, &m)
	return m, err
}

// sanitize returns the message gqlgen should see for the subscribe message
// data (decoded as m): the string values of its variables pass through the
// Transport's sanitizer; the document and every other byte are left as they
// are. It returns data itself when nothing changed, when sanitisation is
// off, and for any other message type.
func (t *Transport) sanitize(data []byte, m *inbound) []byte {
	vars := m.Payload.variables
	if t.san == nil || m.Type != msgSubscribe || len(vars) == 0 {
		return data
	}
	clean, err := t.san.SanitizeJSON(vars)
	if err != nil || bytes.Equal(clean, vars) {
		return data
	}
	if out, ok := splice(data, vars, clean); ok {
		return out
	}
	return replaceVariables(data, clean)
}

// splice returns data with part, a subslice of data, replaced by repl. It
// reports false when part does not lie inside data's backing array.
func splice(data, part, repl []byte) ([]byte, bool) {
	off := cap(data) - cap(part)
	if len(part) == 0 || off < 0 || off+len(part) > len(data) || &data[off] != &part[0] {
		return nil, false
	}
	out := make([]byte, 0, len(data)-len(part)+len(repl))
	out = append(out, data[:off]...)
	out = append(out, repl...)
	return append(out, data[off+len(part):]...), true
}

// replaceVariables is splice's fallback, for a JSON decoder that hands
// UnmarshalJSON copies: it re-encodes the envelope and payload with the
// variables replaced (keys sorted, values kept verbatim).
func replaceVariables(data, vars []byte) []byte {
	var env map[string]json.RawMessage
	if json.Unmarshal(data, &env) != nil {
		return data
	}
	var payload map[string]json.RawMessage
	if json.Unmarshal(env["payload"], &payload) != nil || payload == nil {
		return data
	}
	payload["variables"] = vars
	p, err := json.Marshal(payload)
	if err != nil {
		return data
	}
	env["payload"] = p
	out, err := json.Marshal(env)
	if err != nil {
		return data
	}
	return out
}
