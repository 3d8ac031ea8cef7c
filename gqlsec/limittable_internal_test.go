package gqlsec

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart"

	"github.com/rampart-go/rampart/internal/gqltest"
)

// overAll is a document over 1 on every figure limitTable bounds, each
// figure a different number (observed, by row) so that a row reading the
// wrong figure is caught.
const overAll = `{ a: me { x1: name @tag(name: "1") @tag(name: "2") @tag(name: "3") posts { nodes { author { id } } } }
  b: me { x2: id @tag(name: "4") x3: id x4: id } }`

var observed = map[string]int64{
	"DocumentBytes":      int64(len(overAll)),
	"Tokens":             2, // parsing stops at limit+1
	"RootFields":         2,
	"DirectivesPerField": 3,
	"Directives":         4,
	"Depth":              5,
	"Aliases":            6,
	"Fields":             10,
}

// limitsWith returns limits with every table limit off except row i, set
// to v (through the field the row names, by reflection).
func limitsWith(t *testing.T, i int, v int) OperationLimits {
	t.Helper()
	var l OperationLimits
	rv := reflect.ValueOf(&l).Elem()
	for j, row := range limitTable() {
		f := rv.FieldByName(row.name)
		if !f.IsValid() || f.Kind() != reflect.Int {
			t.Fatalf("row %q names no int field of OperationLimits", row.name)
		}
		if j == i {
			f.SetInt(int64(v))
		} else {
			f.SetInt(rampart.Unlimited)
		}
	}
	return l
}

// TestLimitTableDrivesChecks: for every row, a document over that row's
// limit (and no other) is refused with the row's code, limit and observed
// figure; with the row off too, the same document passes. So each check
// comes from the table.
func TestLimitTableDrivesChecks(t *testing.T) {
	t.Parallel()
	es := gqltest.New()
	for i, row := range limitTable() {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			l := limitsWith(t, i, 1)
			if got := row.option(&l); got != 1 {
				t.Fatalf("option reads %d after setting field %s to 1: it reads another field", got, row.name)
			}
			if err := l.Validate(es); err != nil {
				t.Fatal(err)
			}
			gerr := l.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: overAll})
			if gerr == nil {
				t.Fatalf("document over the %s limit passed", row.name)
			}
			if gerr.Extensions["code"] != row.code || gerr.Extensions["limit"] != int64(1) {
				t.Fatalf("extensions %v, want code %s, limit 1", gerr.Extensions, row.code)
			}
			want := observed[row.name]
			switch i {
			case rowDepth, rowRootFields, rowAliases, rowFields:
				want = 2 // the pre-scan stops at the first figure over the limit
			}
			if obs := gerr.Extensions["observed"]; obs != want {
				t.Fatalf("observed %v, want %d", obs, want)
			}

			off := limitsWith(t, i, rampart.Unlimited)
			if err := off.Validate(es); err != nil {
				t.Fatal(err)
			}
			if gerr := off.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: overAll}); gerr != nil {
				t.Fatalf("with every limit off: %v", gerr)
			}

			neg := limitsWith(t, i, -2)
			if err := neg.Validate(es); err == nil || !strings.Contains(err.Error(), "OperationLimits."+row.name) {
				t.Fatalf("Validate with %s = -2: %v", row.name, err)
			}

			var zero OperationLimits
			if got := resolve(limitTable(), &zero)[i]; got != int64(row.def) || row.def <= 0 {
				t.Fatalf("zero %s resolves to %d, want default %d", row.name, got, row.def)
			}
		})
	}
}

// TestLimitTableComplete: every int field of OperationLimits is a limit
// with exactly one row, and the rows the checks single out are the right
// ones.
func TestLimitTableComplete(t *testing.T) {
	t.Parallel()
	rows := map[string]int{}
	for _, row := range limitTable() {
		rows[row.name]++
	}
	rt := reflect.TypeFor[OperationLimits]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Int && rows[f.Name] != 1 {
			t.Errorf("OperationLimits.%s has %d rows in limitTable, want 1", f.Name, rows[f.Name])
		}
	}
	tab := limitTable()
	for i, want := range map[int]string{rowDocumentBytes: "DocumentBytes", rowTokens: "Tokens", rowDepth: "Depth"} {
		if tab[i].name != want {
			t.Errorf("row %d is %s, want %s", i, tab[i].name, want)
		}
	}
}

// readmeGuards maps a guard of the READMEs' operation-guard tables to the
// limitTable rows it lists (its default cell is their defaults joined by
// " / ").
var readmeGuards = map[string][]string{
	"parser tokens":                   {"Tokens"},
	"document size":                   {"DocumentBytes"},
	"depth":                           {"Depth"},
	"aliases":                         {"Aliases"},
	"root fields":                     {"RootFields"},
	"fields":                          {"Fields"},
	"directives per field / document": {"DirectivesPerField", "Directives"},
}

// TestREADMEGuardTables checks the guard tables of the root README (under
// "## Operation guards") and of gqlsec/README.md against limitTable and
// the cost constants: every limit is listed, with its default and code.
func TestREADMEGuardTables(t *testing.T) {
	t.Parallel()
	byName := map[string]limitRow{}
	for _, row := range limitTable() {
		byName[row.name] = row
	}
	for _, tc := range []struct{ file, section string }{
		{"../README.md", "## Operation guards"},
		{"README.md", "## Secure defaults"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cells := guardTable(t, tc.file, tc.section)
			seen := map[string]bool{}
			for guard, names := range readmeGuards {
				row, ok := cells[guard]
				if !ok {
					t.Errorf("%s: no %q row", tc.file, guard)
					continue
				}
				var defs []string
				for _, n := range names {
					r, ok := byName[n]
					if !ok {
						t.Fatalf("readmeGuards names unknown row %s", n)
					}
					seen[n] = true
					defs = append(defs, formatDefault(r.def, n == "DocumentBytes"))
					if !strings.Contains(row[1], "`"+r.code+"`") {
						t.Errorf("%s: %q code cell %q, want `%s`", tc.file, guard, row[1], r.code)
					}
				}
				if want := strings.Join(defs, " / "); !strings.HasPrefix(strings.ReplaceAll(row[0], ",", ""), want) {
					t.Errorf("%s: %q default %q, want %s", tc.file, guard, row[0], want)
				}
			}
			for n := range byName {
				if !seen[n] {
					t.Errorf("limit %s has no entry in readmeGuards (and so none checked in %s)", n, tc.file)
				}
			}
			if row, ok := cells["cost"]; !ok || !strings.HasPrefix(strings.ReplaceAll(row[0], ",", ""), fmt.Sprint(DefaultMaxCost)) ||
				!strings.Contains(row[1], "`"+CodeCostLimit+"`") {
				t.Errorf("%s: cost row %q, want %d and `%s`", tc.file, row, DefaultMaxCost, CodeCostLimit)
			}
		})
	}
}

// guardTable returns the table rows of the section of file that starts
// with heading: guard name (without a parenthesised note) -> default and
// code cells.
func guardTable(t *testing.T, file, heading string) map[string][2]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string][2]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			if in {
				break
			}
			in = strings.HasPrefix(line, heading)
			continue
		}
		if !in || !strings.HasPrefix(line, "|") {
			continue
		}
		cols := strings.Split(strings.Trim(line, "|"), "|")
		if len(cols) < 3 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSpace(cols[0]), " (")
		rows[name] = [2]string{strings.TrimSpace(cols[1]), strings.TrimSpace(cols[2])}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table under %q", file, heading)
	}
	return rows
}

// formatDefault writes a default as the READMEs do: "128 KiB" for byte
// sizes, else the number without separators (the caller strips commas).
func formatDefault(v int, bytes bool) string {
	if bytes && v%1024 == 0 {
		return fmt.Sprintf("%d KiB", v/1024)
	}
	return fmt.Sprint(v)
}
