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
	// introspection: with no limit exceeded, an operation that can run
	// selects __schema or __type (itself or through its fragments).
	introspection bool
}

// prescan reads a GraphQL document once, token by token, without building
// an AST, and refuses it as soon as it exceeds a limit: the parser never
// sees a hostile document. It counts
//
//   - tokens, as gqlparser's token limit does (every lexical token but
//     comments);
//   - for the operation that runs: field depth (a root field has depth 1;
//     inline fragments add none), root fields, aliased fields (alias
//     different from the field's name) and fields, as complexity.Analyze
//     measures them. What an operation writes itself is counted as it is
//     read, and the scan stops at the first figure over a limit; what named
//     fragments add is known only once they are all read, so a fragment
//     bomb is refused at the end of the scan, still before any parse;
//   - whether such an operation selects __schema or __type, so that a
//     caller who may not introspect is refused before the parse too.
//
// Only operations that can run are counted: all of them when operationName
// is empty (a document with several must name one, or gqlgen refuses it),
// otherwise the one so named. A document that is not lexically valid
// GraphQL, or whose fragments form a cycle, ends the scan without a
// verdict: the parser and validation report it.
//
// Every figure is at most what the full parse and analysis would measure,
// so a document the pre-scan refuses is one the full check refuses too
// (FuzzPrescanAgreesWithAnalysis); what it lets through is measured in full
// afterwards.
func prescan(doc, operationName string, lim prescanLimits) prescanVerdict {
	s := byteLexer{src: doc}
	var (
		tokens int64
		// Selection-set state of the current definition.
		braces     []byte // open selection sets: 'o' operation, 'f' field, 'i' inline fragment
		fieldDepth int64  // 'f' entries in braces
		parens     int    // open ( ): argument and variable values are not selections
		counted    bool   // the current definition is an operation that can run
		cur        *defStats
		ops        []*defStats // the operations that can run
		frags      map[string]*defStats
		// Top level (outside any selection set).
		top        = true
		opKeyword  bool // after query/mutation/subscription, before the name or body
		fragName   bool // after "fragment", the next name is the fragment's
		inFragment bool // in a fragment definition
		// Inside a selection set.
		spread     bool   // after "...": a spread or an inline fragment
		typeCond   bool   // after "... on": the next name is a type
		fieldOpen  bool   // the last selection was a field, so "{" opens its selection set
		afterAlias bool   // after "alias:", the next name is the field itself
		directive  bool   // after "@": the next name is a directive
		lastName   string // the last field name (or alias) read
	)
	over := func(n, max int64) bool { return max > 0 && n > max }
	for {
		tok, val := s.next()
		switch tok {
		case tokInvalid:
			return prescanVerdict{row: -1}
		case tokEOF:
			return expand(ops, frags, lim)
		}
		tokens++
		if over(tokens, lim.tokens) {
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
				case fragName:
					fragName = false
					if frags == nil {
						frags = make(map[string]*defStats)
					}
					if frags[val] == nil { // a repeated name is a validation error
						cur = &defStats{}
						frags[val] = cur
					}
				case opKeyword:
					opKeyword = false
					counted = operationName == "" || val == operationName
				case inFragment:
				case val == "query" || val == "mutation" || val == "subscription":
					opKeyword, counted = true, operationName == ""
				case val == "fragment":
					inFragment, fragName, cur = true, true, nil
				}
			case '(':
				opKeyword = false
				parens++
			case '@':
				opKeyword = false
			case '{':
				if !opKeyword && !inFragment && !counted {
					// A shorthand query ("{ … }") runs when no name is asked for.
					counted = operationName == ""
				}
				if !inFragment {
					cur = nil
					if counted {
						cur = &defStats{}
						ops = append(ops, cur)
					}
				}
				opKeyword, fragName, top = false, false, false
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
			afterAlias = true // the name just read was an alias
			if cur != nil && isIntrospectionField(lastName) {
				cur.introspection-- // counted as a field below
			}
		case tokName:
			switch {
			case directive:
				directive = false
			case typeCond:
				typeCond = false
			case spread && val == "on":
				typeCond = true
			case spread:
				spread = false
				if cur != nil {
					cur.spreads = append(cur.spreads, spreadAt{name: val, depth: fieldDepth})
				}
			case afterAlias:
				// The aliased field, counted (field, depth) at its alias; an
				// alias is counted when it differs from the field's name.
				afterAlias, fieldOpen = false, true
				if cur != nil && isIntrospectionField(val) {
					cur.introspection++
				}
				if cur != nil && val != lastName {
					cur.aliases++
					if counted && over(cur.aliases, lim.aliases) {
						return prescanVerdict{row: rowAliases, observed: cur.aliases}
					}
				}
			default:
				fieldOpen, lastName = true, val
				if cur == nil {
					break
				}
				cur.fields++
				if isIntrospectionField(val) {
					cur.introspection++ // taken back if it turns out an alias
				}
				cur.height = max(cur.height, fieldDepth+1)
				if fieldDepth == 0 {
					cur.direct++
				}
				if !counted {
					break
				}
				switch {
				case over(cur.fields, lim.fields):
					return prescanVerdict{row: rowFields, observed: cur.fields}
				case over(cur.direct, lim.rootFields):
					return prescanVerdict{row: rowRootFields, observed: cur.direct}
				case over(fieldDepth+1, lim.depth):
					return prescanVerdict{row: rowDepth, observed: fieldDepth + 1}
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
				top, counted, inFragment, cur = true, false, false, nil
			}
		}
	}
}

// defStats are what one definition (an operation or a fragment) writes
// itself, and, once expanded, what it selects through its fragment
// spreads too.
type defStats struct {
	fields, aliases, direct, height int64
	introspection                   int64 // __schema and __type selections
	spreads                         []spreadAt
	state                           uint8 // expansion: 0 not yet, 1 in progress, 2 done
}

// isIntrospectionField reports whether a field name reads the schema
// (__typename does not). Names starting with "__" are reserved to
// introspection, so no schema defines these.
func isIntrospectionField(name string) bool { return name == "__schema" || name == "__type" }

// spreadAt is a fragment spread and the field depth it is written at.
type spreadAt struct {
	name  string
	depth int64
}

// expand adds to each operation what its fragment spreads select, as
// complexity.Analyze does (every spread counts its fragment again), and
// returns the first limit exceeded, in the limit table's order, or
// whether an operation selects introspection fields.
func expand(ops []*defStats, frags map[string]*defStats, lim prescanLimits) prescanVerdict {
	introspection := false
	for _, op := range ops {
		t, ok := op.total(frags)
		if !ok {
			return prescanVerdict{row: -1} // a fragment cycle: validation reports it
		}
		for _, c := range [...]struct {
			row    int
			n, max int64
		}{
			{rowDepth, t.height, lim.depth}, {rowRootFields, t.direct, lim.rootFields},
			{rowAliases, t.aliases, lim.aliases}, {rowFields, t.fields, lim.fields},
		} {
			if c.max > 0 && c.n > c.max {
				return prescanVerdict{row: c.row, observed: c.n}
			}
		}
		introspection = introspection || t.introspection > 0
	}
	return prescanVerdict{row: -1, introspection: introspection}
}

// total returns d's figures with its spreads expanded (memoized in d, so a
// fragment bomb costs time linear in its size), and false on a cycle.
// Counts saturate rather than overflow.
func (d *defStats) total(frags map[string]*defStats) (defStats, bool) {
	if d.state == 1 {
		return defStats{}, false
	}
	if d.state == 2 {
		return *d, true
	}
	d.state = 1
	for _, sp := range d.spreads {
		f := frags[sp.name]
		if f == nil {
			continue // unknown fragment: validation reports it
		}
		t, ok := f.total(frags)
		if !ok {
			return defStats{}, false
		}
		d.fields = satAdd(d.fields, t.fields)
		d.aliases = satAdd(d.aliases, t.aliases)
		d.introspection = satAdd(d.introspection, t.introspection)
		if sp.depth == 0 {
			d.direct = satAdd(d.direct, t.direct)
		}
		if t.height > 0 {
			d.height = max(d.height, satAdd(sp.depth, t.height))
		}
	}
	d.spreads, d.state = nil, 2
	return *d, true
}

func satAdd(a, b int64) int64 {
	const limit = 1 << 62
	if a > limit-b {
		return limit
	}
	return a + b
}

// Tokens of the pre-scan's byteLexer; punctuators are their own byte.
const (
	tokEOF = iota + 256
	tokInvalid
	tokName
	tokSpread
	tokValue // number or string
)

// byteLexer is a GraphQL byteLexer that only classifies tokens: it allocates
// nothing and returns names as slices of the source.
type byteLexer struct {
	src string
	pos int
}

func (s *byteLexer) next() (tok int, name string) {
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
func (s *byteLexer) string() (int, string) {
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
