package password

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"

	"github.com/rampart-go/rampart/auth"
)

// Password strength scores, on zxcvbn's scale of 0 to 4. A score says how
// many guesses an attacker who knows how people choose passwords would need:
// 0 fewer than 10^3, 1 fewer than 10^6, 2 fewer than 10^8, 3 fewer than
// 10^10, 4 more.
const (
	// DefaultMinScore is the score CheckStrength requires
	// when given 0: "safely unguessable", about 10^8 guesses or more, which
	// resists an offline attack on a slow (argon2id) hash for a while and
	// any online attack.
	DefaultMinScore = 3
	// MaxScore is the highest score zxcvbn gives.
	MaxScore = 4
)

// MaxStrengthRunes is how much of a password zxcvbn estimates at most: the
// first 64 runes. Cutting is conservative: a password whose first 64
// characters are guessable is refused; one whose first 64 are not is strong
// whatever follows.
//
// zxcvbn's cost grows faster than the cube of the length: every substring is
// looked up, lower-cased, in every dictionary, once per table of l33t
// substitutions the password's symbols allow, and there can be hundreds of
// tables. In our measurements a 128-rune string of l33t symbols took 1.5 s
// and a 64-rune one 160 ms. So a password dense in l33t symbols is estimated
// on a shorter prefix, down to 16 runes, chosen so that (number of tables) x
// length^3 stays within a fixed budget; that keeps the worst case near 20 ms
// (see the benchmarks). Such a prefix is random-looking symbols, and strong,
// unless it is a weak pattern, in which case the password is refused.
const MaxStrengthRunes = 64

// Cost bounds for the adaptive prefix.
const (
	minStrengthRunes = 16
	strengthBudget   = 1 << 21 // l33t tables x runes^3
)

// Bounds on the user inputs.
const (
	// maxUserInputs bounds the user inputs (e-mail, name and their parts)
	// considered per call.
	maxUserInputs = 32
	// maxUserInputRunes bounds each user input.
	maxUserInputRunes = 128
	// minUserInputRunes is the shortest part of a user input worth
	// matching: shorter parts ("al", "jo") would flag innocent words.
	minUserInputRunes = 3
)

// ErrTooGuessable means a password scored below the required
// strength. It is always returned inside a *WeakError, whose message
// says why and is safe to show to the user who chose the password.
var ErrTooGuessable = errors.New("password is too easy to guess")

// WeakError is returned by CheckStrength for a password that
// scored below the required minimum. Error() is a complete sentence for the
// user; Warning and Suggestions are the same advice in parts, for a UI that
// lays them out itself. errors.Is(err, ErrTooGuessable) holds.
type WeakError struct {
	// Score is the password's score (0 to 4).
	Score int
	// MinScore is the score that was required.
	MinScore int
	// Warning names what makes the password guessable ("a very common
	// password with a number appended"); it may be empty when nothing
	// stands out beyond being short.
	Warning string
	// Suggestions say how to do better, most useful first.
	Suggestions []string
}

// Error returns the message for the user, for example "password is too
// easy to guess: a common password with a number appended; add another word
// or two (uncommon words are better)".
func (e *WeakError) Error() string {
	var b strings.Builder
	b.WriteString(ErrTooGuessable.Error())
	if e.Warning != "" {
		b.WriteString(": ")
		b.WriteString(e.Warning)
	}
	for i, s := range e.Suggestions {
		if i == 0 && e.Warning == "" {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrTooGuessable) hold.
func (e *WeakError) Unwrap() error { return ErrTooGuessable }

// Strength is zxcvbn's estimate for one password, with advice in
// plain words. Use it to drive a strength meter; use CheckStrength to
// enforce a minimum.
type Strength struct {
	// Score is 0 (too guessable) to 4 (very unguessable).
	Score int
	// Guesses is the estimated number of guesses to find the password.
	Guesses float64
	// Warning names what makes the password guessable, or is empty.
	Warning string
	// Suggestions say how to do better; empty for a strong password.
	Suggestions []string
}

// Advice texts. They are part of the messages users see; keep them short,
// concrete and free of blame.
const (
	adviceAddWords    = "add another word or two (uncommon words are better)"
	adviceDefault     = "use a few unrelated words; symbols, digits and capitals are not needed"
	adviceCapitals    = "capitalising the first letter does not help much"
	adviceAllUpper    = "all capitals are almost as easy to guess as all lower case"
	adviceReversed    = "spelling a word backwards does not help much"
	adviceL33t        = "predictable substitutions such as @ for a or 0 for o do not help much"
	adviceKeyboard    = "avoid keyboard patterns"
	adviceRepeats     = "avoid repeated words and characters"
	adviceSequences   = "avoid sequences"
	adviceDates       = "avoid dates and years that are associated with you"
	adviceUserInputs  = "do not use your e-mail address or name"
	warnShort         = "it is short and has no uncommon words"
	maxTailAppendixLn = 6 // runes appended after the main pattern still described as "appended"
)

// EstimateStrength scores password with zxcvbn (a faithful Go port of
// Dropbox's zxcvbn 4.4.2), counting userInputs (the user's e-mail address,
// name, user name: anything an attacker targeting this user would try) as a
// dictionary of their own. E-mail addresses and names are also split into
// their parts ("alice.smith@example.com" adds "alice", "smith" and
// "example"), so "alicesmith2024" is recognised.
//
// Only the first MaxStrengthRunes (64) runes of password are estimated,
// fewer when it is dense in l33t symbols, and at most 32 user inputs of 128
// runes each are used, so the cost per call is bounded: about a millisecond
// for typical passwords, tens of milliseconds at worst for crafted ones (see
// the benchmarks). Rate-limit the endpoints that call it (registration,
// password change) by client. A password that is not valid
// UTF-8 scores 0. It is safe for concurrent use.
func EstimateStrength(password string, userInputs []string) Strength {
	if !utf8.ValidString(password) {
		return Strength{Warning: "it is not valid text", Suggestions: []string{adviceDefault}}
	}
	password = strengthPrefix(password)
	r := zxcvbn.PasswordStrength(password, expandUserInputs(userInputs))
	s := Strength{Score: r.Score, Guesses: r.Guesses}
	s.Warning, s.Suggestions = feedback(password, r.Score, r.Sequence)
	return s
}

// CheckStrength refuses a password that zxcvbn scores below
// minScore (0 means DefaultMinScore, 3), counting userInputs (the
// user's e-mail address and name) as words an attacker would try first. A
// refusal is a *WeakError wrapping ErrTooGuessable whose
// message says why, for example "password is too easy to guess: a very
// common password with a number appended; add another word or two (uncommon
// words are better)"; it is safe to show to the user. A password that is
// not valid UTF-8 is ErrInvalidUTF8. A minScore outside 0 to 4 is an
// error wrapping auth.ErrConfig.
//
// It complements CheckPolicy (length bounds, not the e-mail
// address): run both on registration and password change. At most the
// first MaxStrengthRunes (64) runes are estimated, so the cost is bounded
// whatever the input.
func CheckStrength(password string, userInputs []string, minScore int) error {
	if minScore < 0 || minScore > MaxScore {
		return fmt.Errorf("%w: password score %d outside 0 to %d", auth.ErrConfig, minScore, MaxScore)
	}
	if minScore == 0 {
		minScore = DefaultMinScore
	}
	if !utf8.ValidString(password) {
		return ErrInvalidUTF8
	}
	s := EstimateStrength(password, userInputs)
	if s.Score >= minScore {
		return nil
	}
	if len(s.Suggestions) == 0 {
		// A password with no weak pattern that still falls short is
		// simply too short for its alphabet.
		s.Suggestions = []string{adviceAddWords}
	}
	return &WeakError{Score: s.Score, MinScore: minScore, Warning: s.Warning, Suggestions: s.Suggestions}
}

// strengthPrefix returns the prefix of password that is estimated: at most
// MaxStrengthRunes runes, shortened 8 runes at a time (not below
// minStrengthRunes) while its l33t tables x length^3 exceed strengthBudget.
func strengthPrefix(password string) string {
	p := truncateRunes(password, MaxStrengthRunes)
	for n := utf8.RuneCountInString(p); n > minStrengthRunes; n = max(n-8, minStrengthRunes) {
		if l33tTables(p)*n*n*n <= strengthBudget {
			break
		}
		p = truncateRunes(p, max(n-8, minStrengthRunes))
	}
	return p
}

// l33tGroups lists, per letter, the symbols zxcvbn 4.4.2 reads as that
// letter (a: 4 @, b: 8, c: ( { [ <, e: 3, g: 6 9, i: 1 ! |, l: 1 | 7, o: 0,
// s: $ 5, t: + 7, x: %, z: 2), as in its matching/omnimatch.go.
func l33tGroups() [12]string {
	return [12]string{"4@", "8", "({[<", "3", "69", "1!|", "1|7", "0", "$5", "+7", "%", "2"}
}

// l33tTables bounds the number of substitution tables zxcvbn's l33t matcher
// tries on s: the product, over letters, of how many of the letter's
// symbols occur in s.
func l33tTables(s string) int {
	var present [2]uint64 // ASCII symbols occurring in s
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 128 {
			present[c/64] |= 1 << (c % 64)
		}
	}
	tables := 1
	for _, g := range l33tGroups() {
		k := 0
		for i := 0; i < len(g); i++ {
			if present[g[i]/64]&(1<<(g[i]%64)) != 0 {
				k++
			}
		}
		tables *= max(k, 1)
	}
	return tables
}

// truncateRunes returns the prefix of s holding at most n runes.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// expandUserInputs lower-cases the user inputs and adds their parts: an
// e-mail address gives its local part and the words in it and in the domain
// (the top-level domain excepted); a name gives each word. Parts shorter than
// three runes are dropped, and the result is bounded.
func expandUserInputs(in []string) []string {
	out := make([]string, 0, min(len(in)*4, maxUserInputs))
	seen := make(map[string]bool, cap(out))
	add := func(s string) {
		if len(out) >= maxUserInputs || utf8.RuneCountInString(s) < minUserInputRunes || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	for _, u := range in {
		if len(out) >= maxUserInputs {
			break
		}
		if !utf8.ValidString(u) {
			continue
		}
		u = strings.ToLower(strings.TrimSpace(truncateRunes(u, maxUserInputRunes)))
		add(u)
		local, domain, isEmail := strings.Cut(u, "@")
		if isEmail {
			add(local)
			if i := strings.LastIndexByte(domain, '.'); i > 0 {
				domain = domain[:i] // "example.com" -> "example": the TLD is no secret
			}
		}
		words := strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if isEmail {
			words = append(words, strings.FieldsFunc(domain, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
		}
		if len(words) > 1 || isEmail {
			for _, w := range words {
				add(w)
			}
		}
	}
	return out
}

// feedback explains a score the way zxcvbn's feedback module does (it is not
// part of the Go port), naming the pattern that covers most of the password
// and what was appended to it.
func feedback(password string, score int, seq []*match.Match) (warning string, suggestions []string) {
	if score > 2 {
		return "", nil
	}
	if len(seq) == 0 {
		return "", []string{adviceDefault}
	}
	main := seq[0]
	for _, m := range seq[1:] {
		if utf8.RuneCountInString(m.Token) > utf8.RuneCountInString(main.Token) {
			main = m
		}
	}
	warning, suggestions = matchFeedback(main, len(seq) == 1)
	if warning == "" && main.Pattern == "bruteforce" {
		warning = warnShort
	}
	if tail := appendix(password, main); warning != "" && tail != "" {
		if strings.Contains(warning, " with ") {
			warning += " and " + tail + " appended"
		} else {
			warning += " with " + tail + " appended"
		}
	}
	suggestions = append([]string{adviceAddWords}, suggestions...)
	return warning, suggestions
}

// matchFeedback describes one match: what it is and how to avoid it.
func matchFeedback(m *match.Match, sole bool) (string, []string) {
	switch m.Pattern {
	case "dictionary":
		return dictionaryFeedback(m, sole)
	case "spatial":
		if m.Turns == 1 {
			return "a straight row of keys", []string{adviceKeyboard}
		}
		return "a short keyboard pattern", []string{adviceKeyboard}
	case "repeat":
		if utf8.RuneCountInString(m.BaseToken) == 1 {
			return fmt.Sprintf("a repeated character (%q)", truncateRunes(m.BaseToken, 8)), []string{adviceRepeats}
		}
		return "a repeated pattern, barely harder to guess than the pattern once", []string{adviceRepeats}
	case "sequence":
		return "a sequence such as abc or 6543", []string{adviceSequences}
	case "regex":
		if m.RegexName == "recent_year" {
			return "a recent year", []string{adviceDates}
		}
	case "date":
		return "a date", []string{adviceDates}
	}
	return "", nil
}

func dictionaryFeedback(m *match.Match, sole bool) (string, []string) {
	var warning string
	switch m.DictionaryName {
	case "passwords":
		switch {
		case sole && !m.L33t && !m.Reversed && m.Rank <= 10:
			warning = "one of the ten most common passwords"
		case sole && !m.L33t && !m.Reversed && m.Rank <= 100:
			warning = "one of the hundred most common passwords"
		case sole && !m.L33t && !m.Reversed:
			warning = "a very common password"
		default:
			warning = "a common password"
		}
	case "english_wikipedia", "us_tv_and_film":
		if sole {
			warning = "a single common word"
		} else {
			warning = "a common word"
		}
	case "surnames", "male_names", "female_names":
		if sole {
			warning = "a name on its own"
		} else {
			warning = "a common name"
		}
	case "user_inputs":
		warning = "your e-mail address or name"
	}
	if m.L33t {
		warning = withSubstitutions(warning, m.Sub)
	}
	if m.Reversed && warning != "" {
		warning += " spelt backwards"
	}
	var suggestions []string
	if m.DictionaryName == "user_inputs" {
		suggestions = append(suggestions, adviceUserInputs)
	}
	first, _ := utf8.DecodeRuneInString(m.Token)
	switch {
	case strings.ToUpper(m.Token) == m.Token && strings.ToLower(m.Token) != m.Token:
		suggestions = append(suggestions, adviceAllUpper)
	case unicode.IsUpper(first):
		suggestions = append(suggestions, adviceCapitals)
	}
	if m.Reversed && utf8.RuneCountInString(m.Token) >= 4 {
		suggestions = append(suggestions, adviceReversed)
	}
	if m.L33t {
		suggestions = append(suggestions, adviceL33t)
	}
	return warning, suggestions
}

// withSubstitutions appends the l33t substitutions zxcvbn undid ("@ for a").
func withSubstitutions(warning string, sub map[string]string) string {
	if warning == "" || len(sub) == 0 {
		return warning
	}
	parts := make([]string, 0, len(sub))
	for subbed, letter := range sub {
		parts = append(parts, subbed+" for "+letter)
	}
	slices.Sort(parts)
	return warning + " with predictable substitutions (" + strings.Join(parts, ", ") + ")"
}

// appendix names a short tail after the main pattern ("a number", "a
// symbol"), or returns "" when there is none.
func appendix(password string, main *match.Match) string {
	if main.I != 0 || main.J+1 >= len(password) {
		return ""
	}
	tail := password[main.J+1:]
	if utf8.RuneCountInString(tail) > maxTailAppendixLn {
		return ""
	}
	var digits, symbols, letters int
	for _, r := range tail {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		default:
			symbols++
		}
	}
	switch {
	case letters == 0 && symbols == 0:
		return "a number"
	case letters == 0 && digits == 0:
		return "a symbol"
	case letters == 0:
		return "digits and symbols"
	default:
		return "a few characters"
	}
}
