package gqlsec

// prescanLimits are the limits the pre-scan can enforce from the bytes
// alone; 0 means unlimited.
type prescanLimits struct {
	tokens, depth, rootFields, aliases, fields int64
}

// prescanVerdict is the pre-scan's result: the limitTable row exceeded
// (-1 when none) and the figure observed when it stopped (the limit plus
// one: it stops at the first token over a limit).
type prescanVerdict struct {
	row      int
	observed int64
}

// prescan reads a GraphQL document once, token by token, without building
// anything, and stops at the first limit exceeded: the parser never sees a
// hostile document. It counts
//
//   - tokens, as gqlparser's token limit does (every lexical token but
//     comments);
//   - within an operation's own selection sets (named fragments are not
//     followed, so each figure is a lower bound of what complexity.Analyze
//     measures): field depth (a root field has depth 1; inline fragments add
//     none), root fields, aliased fields, and fields.
//
// Only operations that can run are counted: all of them when operationName
// is empty (a document with several must name one, or gqlgen refuses it),
// otherwise the one so named. A document that is not lexically valid GraphQL
// ends the scan without a verdict: the parser reports the syntax error.
//
// Every figure is at most what the full parse and analysis would measure,
// so a document the pre-scan refuses is one the full check refuses too
// (FuzzPrescanAgreesWithAnalysis); what it lets through is measured in full
// afterwards.
func prescan(doc, operationName string, lim prescanLimits) prescanVerdict {
	s := lexer{src: doc}
	var (
		tokens int64
		// Selection-set state of the current definition.
		braces     []byte // open selection sets: 'o' operation, 'f' field, 'i' inline fragment
		fieldDepth int64  // 'f' entries in braces
		parens     int    // open ( ): argument and variable values are not selections
		counted    bool   // the current definition is an operation that can run
		// Top level (outside any selection set).
		top        = true
		opKeyword  bool // after query/mutation/subscription, before the name or body
		inFragment bool // inside a fragment definition's body
		// Inside a selection set.
		spread                      bool   // after "...": a spread or an inline fragment
		typeCond                    bool   // after "... on": the next name is a type
		fieldOpen                   bool   // the last selection was a field, so "{" opens its selection set
		afterAlias                  bool   // after "alias:", the next name is the field itself
		directive                   bool   // after "@": the next name is a directive
		lastName                    string // the last field name (or alias) read
		rootFields, aliases, fields int64
	)
	over := func(row int, n, max int64) bool { return max > 0 && n > max }
	for {
		tok, val := s.next()
		switch tok {
		case tokEOF, tokInvalid:
			return prescanVerdict{row: -1}
		}
		tokens++
		if over(rowTokens, tokens, lim.tokens) {
			return prescanVerdict{row: rowTokens, observed: tokens}
		}
		if parens > 0 {
			switch tok {
			case '(':
				parens++
			case ')':
				parens--
			}
			continue
		}
		if top {
			switch tok {
			case tokName:
				switch {
				case opKeyword:
					opKeyword = false
					counted = operationName == "" || val == operationName
				case val == "query" || val == "mutation" || val == "subscription":
					opKeyword, counted = true, operationName == ""
				case val == "fragment":
					inFragment = true
				}
			case '(':
				opKeyword = false
				parens++
			case '@':
				opKeyword = false
			case '{':
				if !opKeyword && !inFragment && len(braces) == 0 && !counted {
					// A shorthand query ("{ … }") runs when no name is asked for.
					counted = operationName == ""
				}
				opKeyword = false
				top = false
				braces = append(braces[:0], 'o')
			}
			continue
		}
		// Inside a selection set.
		switch tok {
		case '(':
			parens++
		case '@':
			directive = true
		case tokSpread:
			spread, fieldOpen = true, false
		case ':':
			// "alias:" — the name just read was an alias, not a field.
			afterAlias = true
		case tokName:
			switch {
			case directive:
				directive = false
			case typeCond:
				typeCond = false
			case spread && val == "on":
				typeCond = true
			case spread:
				spread = false // a named fragment spread: not followed
			case afterAlias:
				// The aliased field, counted (field, depth) at its alias; an
				// alias is counted when it differs from the field's name.
				afterAlias, fieldOpen = false, true
				if counted && !inFragment && val != lastName {
					aliases++
					if over(rowAliases, aliases, lim.aliases) {
						return prescanVerdict{row: rowAliases, observed: aliases}
					}
				}
			default:
				fieldOpen, lastName = true, val
				if counted && !inFragment {
					fields++
					if over(rowFields, fields, lim.fields) {
						return prescanVerdict{row: rowFields, observed: fields}
					}
					if fieldDepth == 0 {
						rootFields++
						if over(rowRootFields, rootFields, lim.rootFields) {
							return prescanVerdict{row: rowRootFields, observed: rootFields}
						}
					}
					if over(rowDepth, fieldDepth+1, lim.depth) {
						return prescanVerdict{row: rowDepth, observed: fieldDepth + 1}
					}
				}
			}
		case '{':
			directive = false
			switch {
			case spread:
				braces = append(braces, 'i')
			case fieldOpen:
				braces = append(braces, 'f')
				fieldDepth++
			default:
				return prescanVerdict{row: -1} // not a valid selection set: the parser says why
			}
			spread, typeCond, fieldOpen = false, false, false
		case '}':
			if len(braces) == 0 {
				return prescanVerdict{row: -1}
			}
			if braces[len(braces)-1] == 'f' {
				fieldDepth--
			}
			braces = braces[:len(braces)-1]
			spread, typeCond, fieldOpen, directive = false, false, false, false
			if len(braces) == 0 {
				top, counted, inFragment = true, false, false
			}
		}
	}
}

// Tokens of the pre-scan's lexer; punctuators are their own byte.
const (
	tokEOF = iota + 256
	tokInvalid
	tokName
	tokSpread
	tokValue // number or string
)

// lexer is a GraphQL lexer that only classifies tokens: it allocates
// nothing and returns names as slices of the source.
type lexer struct {
	src string
	pos int
}

func (s *lexer) next() (tok int, name string) {
	src := s.src
	for s.pos < len(src) {
		c := src[s.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			s.pos++
			continue
		case c == 0xEF && len(src)-s.pos >= 3 && src[s.pos+1] == 0xBB && src[s.pos+2] == 0xBF: // BOM
			s.pos += 3
			continue
		case c == '#':
			for s.pos < len(src) && src[s.pos] != '\n' && src[s.pos] != '\r' {
				s.pos++
			}
			continue
		}
		break
	}
	if s.pos >= len(src) {
		return tokEOF, ""
	}
	c := src[s.pos]
	switch c {
	case '!', '$', '&', '(', ')', ':', '=', '@', '[', ']', '{', '|', '}':
		s.pos++
		return int(c), ""
	case '.':
		if len(src)-s.pos >= 3 && src[s.pos+1] == '.' && src[s.pos+2] == '.' {
			s.pos += 3
			return tokSpread, ""
		}
		return tokInvalid, ""
	case '"':
		return s.string()
	}
	switch {
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		start := s.pos
		s.pos++
		for s.pos < len(src) {
			c := src[s.pos]
			if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				s.pos++
				continue
			}
			break
		}
		return tokName, src[start:s.pos]
	case c == '-' || c >= '0' && c <= '9':
		s.pos++
		for s.pos < len(src) {
			c := src[s.pos]
			if c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
				s.pos++
				continue
			}
			break
		}
		return tokValue, ""
	}
	return tokInvalid, ""
}

// string skips a string or block string starting at s.pos.
func (s *lexer) string() (int, string) {
	src := s.src
	if len(src)-s.pos >= 3 && src[s.pos+1] == '"' && src[s.pos+2] == '"' {
		s.pos += 3
		for s.pos < len(src) {
			switch {
			case src[s.pos] == '\\' && len(src)-s.pos >= 4 && src[s.pos+1:s.pos+4] == `"""`:
				s.pos += 4
			case src[s.pos] == '"' && len(src)-s.pos >= 3 && src[s.pos+1] == '"' && src[s.pos+2] == '"':
				s.pos += 3
				return tokValue, ""
			default:
				s.pos++
			}
		}
		return tokInvalid, ""
	}
	s.pos++
	for s.pos < len(src) {
		switch src[s.pos] {
		case '\\':
			s.pos += 2
		case '"':
			s.pos++
			return tokValue, ""
		case '\n', '\r':
			return tokInvalid, ""
		default:
			s.pos++
		}
	}
	return tokInvalid, ""
}
