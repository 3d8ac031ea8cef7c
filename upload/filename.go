package upload

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// fallbackName replaces a file name that sanitizes to nothing.
const fallbackName = "upload"

// maxExtBytes is the longest extension kept when a name is truncated.
const maxExtBytes = 16

// SanitizeFilename returns a file name safe to store, log and send back in
// a Content-Disposition header, derived from a client-supplied name:
//
//   - only the last path element is kept ("../../etc/passwd" → "passwd",
//     "C:\evil\a.png" → "a.png"): both '/' and '\' separate;
//   - invalid UTF-8, control characters and Unicode format characters
//     (bidirectional overrides such as U+202E that make "gpj.exe" read
//     "exe.jpg", zero-width characters) are dropped;
//   - characters Windows forbids (: * ? " < > |) become '_', and every
//     kind of space becomes ' ';
//   - leading and trailing spaces and dots are trimmed (no hidden files,
//     no "..");
//   - Windows device names (CON, NUL, COM1, …) get a '_' prefix;
//   - the result is cut to maxBytes bytes on a rune boundary, keeping a
//     short extension.
//
// A name left empty becomes "upload". maxBytes below 16 counts as 16. The
// result is never empty, is valid UTF-8, and SanitizeFilename is
// idempotent. It does not make a name unique: never use it as a storage
// key on its own.
func SanitizeFilename(name string, maxBytes int) string {
	maxBytes = max(maxBytes, 16)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	b.Grow(min(len(name), 4*maxBytes))
	for i, r := range name {
		if b.Len() >= 4*maxBytes {
			break // cut below anyway: bound the work on huge names
		}
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(name[i:]); size <= 1 {
				continue // invalid byte
			}
			b.WriteRune(r)
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case strings.ContainsRune(`:*?"<>|`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), " .")
	if s == "" {
		return fallbackName
	}
	s = truncateName(s, maxBytes)
	if reservedDevice(s) {
		s = truncateName("_"+s, maxBytes)
	}
	return s
}

// truncateName cuts s to maxBytes on a rune boundary, keeping its
// extension when that is short. s is non-empty, trimmed, and maxBytes ≥ 16.
func truncateName(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	base, ext := s, ""
	if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i <= maxExtBytes && len(s)-i < maxBytes/2 {
		base, ext = s[:i], s[i:]
	}
	budget := maxBytes - len(ext)
	for budget > 0 && !utf8.RuneStart(base[budget]) {
		budget--
	}
	base = strings.TrimRight(base[:budget], " .")
	if base == "" {
		// Only when the first rune is wider than the budget; cannot
		// happen with budget ≥ 8, kept for safety.
		base = fallbackName
	}
	return base + ext
}

// reservedDevice reports Windows device names, which open a device instead
// of a file whatever their extension ("NUL.png").
func reservedDevice(s string) bool {
	stem, _, _ := strings.Cut(s, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		return stem[3] >= '0' && stem[3] <= '9'
	}
	return false
}

// withExtension makes name's extension agree with the sniffed type: a PNG
// uploaded as "x.html" becomes "x.html.png", so that a server choosing a
// type by extension cannot serve it as HTML. Names that already agree (and
// types without a known extension) are unchanged.
func withExtension(name, typ string, maxBytes int) string {
	exts := extensionsFor(typ)
	if len(exts) == 0 {
		return name
	}
	lower := strings.ToLower(name)
	for _, e := range exts {
		if strings.HasSuffix(lower, e) && len(lower) > len(e) {
			return name
		}
	}
	ext := exts[0]
	maxBytes = max(maxBytes, 16)
	if len(name)+len(ext) > maxBytes {
		cut := maxBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = strings.TrimRight(name[:cut], " .")
		if name == "" {
			name = fallbackName
		}
	}
	return name + ext
}
