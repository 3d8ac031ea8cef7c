package gqlsec

import "github.com/rampart-go/rampart/complexity"

// limitRow is one structural operation limit. limitTable is the only place
// a limit is defined: its default, its option field, its extensions.code,
// and the complexity.Report figure it bounds. Validation of the options,
// defaults, per-caller resolution (OperationLimits.For) and the check in
// MutateOperationParameters all iterate the table.
type limitRow struct {
	// name is the OperationLimits field, as configuration errors name it.
	name string
	// def is the limit when the field is zero.
	def int
	// code is the extensions.code of a rejection.
	code string
	// what names the measured figure in rejection messages.
	what string
	// option reads the field from a set of limits.
	option func(*OperationLimits) int
	// observe reads the figure from the analysis; nil for the limits
	// enforced before the document is measured (size and tokens).
	observe func(*complexity.Report) int64
}

// Rows of limitTable that MutateOperationParameters enforces outside the
// report loop: the document size before parsing, the token limit while
// parsing, and the depth limit also when the parser's nesting cap stops it.
const (
	rowDocumentBytes = iota
	rowTokens
	rowDepth
	// The rows the pre-scan also enforces (see prescan).
	rowRootFields
	rowAliases
	rowFields = 7
)

// limitTable returns the operation limits, in the order they are checked.
// Adding a limit is one row here (plus its field in OperationLimits and,
// usually, a Default constant and a Code constant).
func limitTable() []limitRow {
	return []limitRow{
		rowDocumentBytes: {"DocumentBytes", DefaultDocumentBytes, CodeDocumentSize, "document size",
			func(l *OperationLimits) int { return l.DocumentBytes }, nil},
		rowTokens: {"Tokens", DefaultTokens, CodeTokenLimit, "token count",
			func(l *OperationLimits) int { return l.Tokens }, nil},
		rowDepth: {"Depth", DefaultDepth, CodeDepthLimit, "depth",
			func(l *OperationLimits) int { return l.Depth }, func(r *complexity.Report) int64 { return r.Depth }},
		{"RootFields", DefaultRootFields, CodeRootFieldLimit, "root field count",
			func(l *OperationLimits) int { return l.RootFields }, func(r *complexity.Report) int64 { return r.RootFields }},
		{"Aliases", DefaultAliases, CodeAliasLimit, "alias count",
			func(l *OperationLimits) int { return l.Aliases }, func(r *complexity.Report) int64 { return r.Aliases }},
		{"DirectivesPerField", DefaultDirectivesPerField, CodeDirectiveLimit, "directives-per-field count",
			func(l *OperationLimits) int { return l.DirectivesPerField }, func(r *complexity.Report) int64 { return r.MaxDirectivesPerField }},
		{"Directives", DefaultDirectives, CodeDirectiveLimit, "directive count",
			func(l *OperationLimits) int { return l.Directives }, func(r *complexity.Report) int64 { return r.Directives }},
		{"Fields", DefaultFields, CodeFieldLimit, "field count",
			func(l *OperationLimits) int { return l.Fields }, func(r *complexity.Report) int64 { return r.Fields }},
	}
}

// resolve returns l's limits indexed like rows, with defaults applied; 0
// means off.
func resolve(rows []limitRow, l *OperationLimits) []int64 {
	out := make([]int64, len(rows))
	for i, row := range rows {
		out[i] = pick(row.option(l), row.def)
	}
	return out
}
