// Package conformance checks docs/osb-conformance.md, the list of what the OSB API 2.17
// asks of the platform and of the tests that cover each item, so that the document cannot
// drift from the checklist it follows or from the tests it names.
//
// The checks read only source files: no server is started.
package conformance

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// platformItems are the numbers of the checklist items whose level for the platform is
// MUST, MUST NOT, SHOULD, SHOULD NOT, RECOMMENDED or REQUIRED. They were read once from the
// project's OSB 2.17 platform-side checklist (osb-platform-checklist.md), which is not in
// this repository; items that only say MAY, or that the specification leaves to the
// implementation ([impl]), are not among them.
var platformItems = []int{
	1, 4, 5, 6, // A. Headers and API version
	8, 10, 11, 12, 13, // B. Originating identity
	14, 15, // C. Request identity
	16, 17, // D. Authentication and transport
	20, 21, 23, // E. Content type, URL encoding, error bodies
	26, 30, 36, 38, // F. Catalog
	39, 41, // G. Synchronous, asynchronous and blocking operations
	44, 45, 46, // H. Provisioning
	48, 49, 50, // I. Kubernetes context object
	52, 55, // J. Fetching an instance
	56, 57, 58, 59, 60, 61, 62, 63, 64, // K. Update
	65, 66, // L. Service instance metadata
	68, 69, 70, 71, 72, // M. Polling instance last_operation
	75, 77, // N. Polling binding last_operation
	79, 80, 81, 82, 83, 84, 86, // O. Binding
	87,                     // P. Polling interval and duration
	89,                     // Q. Fetching a binding
	90, 91, 93, 94, 95, 96, // R. Unbind and deprovision
	99, 102, // S. Orphan mitigation
	106, // T. Timeouts, idempotency, IDs
	107, // U. Concurrency
}

// brokerItems are broker-side obligations of the checklist that the platform relies on;
// the document lists them too, with a level that starts with "(broker".
var brokerItems = []int{
	19,  // a broker using auth answers 401 when authentication fails
	24,  // after a 4xx nothing changed at the broker; after a 5xx it should not have
	74,  // a broker does not forget an operation's state right after reporting it
	88,  // GET binding works once the bind's last_operation said succeeded
	105, // re-sent requests with identical bodies get the same answer
}

const (
	// moduleRoot is the repository's root, relative to this package's directory, in which
	// go test runs the tests.
	moduleRoot = "../.."
	// docPath is the document checked, relative to this package's directory.
	docPath = moduleRoot + "/docs/osb-conformance.md"
	// noTests is what the Tests column holds when no test covers an item.
	noTests = "—"
	// notCovered starts the Status of a row without tests.
	notCovered = "not covered"
)

// columns are the headers of every table of the document, in order.
var columns = []string{"#", "Level", "What the platform does", "Tests", "Status"}

// row is one item of the document.
type row struct {
	line       int // 1-based line in the document
	number     int
	level      string
	what       string
	tests      []testRef // empty when the Tests column is noTests
	status     string
	testsGiven string // the Tests column as written
}

// testRef names a test: pkg is the package directory relative to the module root, name
// the top-level test function, sub the subtest path after it ("" for none).
type testRef struct {
	pkg, name, sub string
}

func (r testRef) String() string {
	if r.sub == "" {
		return r.pkg + "." + r.name
	}
	return r.pkg + "." + r.name + "/" + r.sub
}

// refPattern matches a test reference: package path, top-level test name, and an
// optional subtest path.
var refPattern = regexp.MustCompile(`^((?:pkg|test|cmd)(?:/[A-Za-z0-9_-]+)+)\.(Test(?:[A-Z0-9_][A-Za-z0-9_]*)?)(?:/(\S+))?$`)

// levelPattern matches the Level column: RFC 2119 words separated by commas, or a
// broker-side level in parentheses.
var levelPattern = regexp.MustCompile(`^(?:(?:MUST NOT|MUST|SHOULD NOT|SHOULD|RECOMMENDED|REQUIRED)(?:, (?:MUST NOT|MUST|SHOULD NOT|SHOULD|RECOMMENDED|REQUIRED))*|\(broker (?:MUST NOT|MUST|SHOULD NOT|SHOULD)(?:, broker (?:MUST NOT|MUST|SHOULD NOT|SHOULD))*\))$`)

// parseTestRef parses one entry of the Tests column, with or without backquotes.
func parseTestRef(s string) (testRef, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "`"), "`")
	m := refPattern.FindStringSubmatch(s)
	if m == nil {
		return testRef{}, fmt.Errorf("%q is not a test reference like pkg/osb.TestName or pkg/osb.TestName/subtest", s)
	}
	return testRef{pkg: m[1], name: m[2], sub: m[3]}, nil
}

// parseRows reads every table row of a document. Header and separator rows are checked
// and skipped; any other table row must be an item.
func parseRows(doc string) ([]row, []error) {
	var rows []row
	var errs []error
	for i, line := range strings.Split(doc, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if !strings.HasSuffix(line, "|") || len(line) < 2 {
			errs = append(errs, fmt.Errorf("line %d: a table row must end with |", n))
			continue
		}
		cells := strings.Split(line[1:len(line)-1], "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		switch {
		case cells[0] == "#":
			if !slices.Equal(cells, columns) {
				errs = append(errs, fmt.Errorf("line %d: table header %q, want %q", n, cells, columns))
			}
			continue
		case isSeparator(cells):
			if len(cells) != len(columns) {
				errs = append(errs, fmt.Errorf("line %d: separator of %d columns, want %d", n, len(cells), len(columns)))
			}
			continue
		}
		if len(cells) != len(columns) {
			errs = append(errs, fmt.Errorf("line %d: %d cells, want %d (%s)", n, len(cells), len(columns), strings.Join(columns, ", ")))
			continue
		}
		r := row{line: n, level: cells[1], what: cells[2], testsGiven: cells[3], status: cells[4]}
		number, err := strconv.Atoi(cells[0])
		if err != nil || number <= 0 {
			errs = append(errs, fmt.Errorf("line %d: %q is not a checklist number", n, cells[0]))
			continue
		}
		r.number = number
		if !levelPattern.MatchString(r.level) {
			errs = append(errs, fmt.Errorf("line %d: item %d: level %q is not like \"MUST, SHOULD\" or \"(broker MUST)\"", n, number, r.level))
		}
		if r.what == "" {
			errs = append(errs, fmt.Errorf("line %d: item %d: no description of what the platform does", n, number))
		}
		if r.status == "" {
			errs = append(errs, fmt.Errorf("line %d: item %d: no status", n, number))
		}
		if r.testsGiven != noTests {
			for _, entry := range strings.Split(r.testsGiven, ",") {
				ref, err := parseTestRef(entry)
				if err != nil {
					errs = append(errs, fmt.Errorf("line %d: item %d: %w", n, number, err))
					continue
				}
				r.tests = append(r.tests, ref)
			}
		}
		rows = append(rows, r)
	}
	return rows, errs
}

// isSeparator tells whether cells are a table's separator row, like |---|:---:|.
func isSeparator(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":") == "" || strings.Trim(c, ":-") != "" {
			return false
		}
	}
	return true
}

// loadRows reads and parses the document, failing the test on any malformed row.
func loadRows(t *testing.T) []row {
	t.Helper()
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading the document: %v", err)
	}
	rows, errs := parseRows(string(doc))
	for _, err := range errs {
		t.Errorf("%s: %v", docPath, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no table rows", docPath)
	}
	return rows
}

// checkItems reports duplicate, missing, unexpected and misplaced numbers: the rows must
// list each expected item once, in ascending order, platform items with an RFC 2119 level
// and broker items with a "(broker" one.
func checkItems(rows []row, platform, broker []int) []error {
	var errs []error
	seen := map[int]int{} // number: line
	last := 0
	for _, r := range rows {
		if first, ok := seen[r.number]; ok {
			errs = append(errs, fmt.Errorf("line %d: item %d is listed twice (first on line %d)", r.line, r.number, first))
			continue
		}
		seen[r.number] = r.line
		if r.number < last {
			errs = append(errs, fmt.Errorf("line %d: item %d comes after item %d; keep the checklist's order", r.line, r.number, last))
		}
		last = max(last, r.number)
		isBrokerLevel := strings.HasPrefix(r.level, "(broker")
		switch {
		case slices.Contains(platform, r.number) && isBrokerLevel:
			errs = append(errs, fmt.Errorf("line %d: item %d is a platform item, but its level is %q", r.line, r.number, r.level))
		case slices.Contains(broker, r.number) && !isBrokerLevel:
			errs = append(errs, fmt.Errorf("line %d: item %d is a broker-side item, its level must start with \"(broker\", not %q", r.line, r.number, r.level))
		case !slices.Contains(platform, r.number) && !slices.Contains(broker, r.number):
			errs = append(errs, fmt.Errorf("line %d: item %d is not a platform MUST or SHOULD item of the checklist, nor a listed broker-side one", r.line, r.number))
		}
	}
	for _, n := range slices.Concat(platform, broker) {
		if _, ok := seen[n]; !ok {
			errs = append(errs, fmt.Errorf("item %d of the checklist is missing", n))
		}
	}
	return errs
}

// checkCoverage reports rows whose Tests and Status disagree: a row without tests says
// "not covered", and a row with tests does not.
func checkCoverage(rows []row) []error {
	var errs []error
	for _, r := range rows {
		uncovered := strings.HasPrefix(r.status, notCovered)
		switch {
		case r.testsGiven == noTests && !uncovered:
			errs = append(errs, fmt.Errorf("line %d: item %d lists no test, so its status must start with %q, not %q", r.line, r.number, notCovered, r.status))
		case r.testsGiven != noTests && uncovered:
			errs = append(errs, fmt.Errorf("line %d: item %d names tests but says %q; use %s when no test covers it", r.line, r.number, r.status, noTests))
		}
	}
	return errs
}

// testFuncs finds the test functions of Go packages, reading each package directory's
// *_test.go files once.
type testFuncs struct {
	root  string
	cache map[string]map[string]bool // package directory: test function names
}

func newTestFuncs(root string) *testFuncs {
	return &testFuncs{root: root, cache: map[string]map[string]bool{}}
}

// exists tells whether the package directory pkg, relative to the module root, holds a
// top-level func Name(t *testing.T) in one of its *_test.go files.
func (f *testFuncs) exists(pkg, name string) (bool, error) {
	funcs, ok := f.cache[pkg]
	if !ok {
		var err error
		if funcs, err = f.read(pkg); err != nil {
			return false, err
		}
		f.cache[pkg] = funcs
	}
	return funcs[name], nil
}

func (f *testFuncs) read(pkg string) (map[string]bool, error) {
	dir := filepath.Join(f.root, filepath.FromSlash(pkg))
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("package %s has no *_test.go files (is the path right?)", pkg)
	}
	funcs := map[string]bool{}
	fset := token.NewFileSet()
	for _, file := range files {
		parsed, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		testingName := testingImportName(parsed)
		if testingName == "" {
			continue
		}
		for _, decl := range parsed.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && isTestFunc(fd, testingName) {
				funcs[fd.Name.Name] = true
			}
		}
	}
	return funcs, nil
}

// testingImportName is the name under which file imports "testing", or "" when it does
// not (a dot import counts as not importing it: no test in this repository uses one).
func testingImportName(file *ast.File) string {
	for _, imp := range file.Imports {
		if imp.Path.Value != strconv.Quote("testing") {
			continue
		}
		if imp.Name == nil {
			return "testing"
		}
		if imp.Name.Name == "." || imp.Name.Name == "_" {
			return ""
		}
		return imp.Name.Name
	}
	return ""
}

// isTestFunc tells whether fd is a plain function taking one *testing.T (the package
// "testing" being imported as testingName) and returning nothing.
func isTestFunc(fd *ast.FuncDecl, testingName string) bool {
	if fd.Recv != nil || fd.Type.TypeParams != nil || fd.Type.Results != nil {
		return false
	}
	params := fd.Type.Params.List
	if len(params) != 1 || len(params[0].Names) > 1 {
		return false
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "T" {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == testingName
}

// checkTests reports test references of rows that name no existing test function.
func checkTests(rows []row, funcs *testFuncs) []error {
	var errs []error
	for _, r := range rows {
		for _, ref := range r.tests {
			ok, err := funcs.exists(ref.pkg, ref.name)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("line %d: item %d: %s: %w", r.line, r.number, ref, err))
			case !ok:
				errs = append(errs, fmt.Errorf("line %d: item %d: %s: package %s has no func %s(t *testing.T)", r.line, r.number, ref, ref.pkg, ref.name))
			}
		}
	}
	return errs
}

func reportAll(t *testing.T, errs []error) {
	t.Helper()
	for _, err := range errs {
		t.Errorf("%s: %v", docPath, err)
	}
}

// TestEveryChecklistItemIsListedOnce checks that the document lists exactly the platform
// items and the broker-side items above, each once and in order.
func TestEveryChecklistItemIsListedOnce(t *testing.T) {
	reportAll(t, checkItems(loadRows(t), platformItems, brokerItems))
}

// TestEveryNamedTestExists checks that each test the document names is a test function
// of its package; of a subtest, only the top-level function is looked for.
func TestEveryNamedTestExists(t *testing.T) {
	if _, err := os.Stat(filepath.Join(moduleRoot, "go.mod")); err != nil {
		t.Fatalf("the module root is not %s: %v", moduleRoot, err)
	}
	rows := loadRows(t)
	reportAll(t, checkTests(rows, newTestFuncs(moduleRoot)))
	named := 0
	for _, r := range rows {
		named += len(r.tests)
	}
	t.Logf("%d items, %d test references", len(rows), named)
}

// TestItemsWithoutTestsSayNotCovered checks that a row without tests says so in its
// status, and that a row with tests does not say it is not covered.
func TestItemsWithoutTestsSayNotCovered(t *testing.T) {
	reportAll(t, checkCoverage(loadRows(t)))
}

// TestTheExpectedItemsAreDistinct guards the lists above against a number given twice or
// given as both a platform and a broker-side item.
func TestTheExpectedItemsAreDistinct(t *testing.T) {
	all := slices.Concat(platformItems, brokerItems)
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	if compacted := slices.Compact(slices.Clone(sorted)); len(compacted) != len(all) {
		t.Errorf("the expected items repeat a number: %v", sorted)
	}
	if !slices.IsSorted(platformItems) || !slices.IsSorted(brokerItems) {
		t.Error("keep the expected items in the checklist's order")
	}
}

// TestTheCheckerFindsMistakes runs the checks on a small document with one mistake of
// each kind, so that a check that stopped working does not go unnoticed.
func TestTheCheckerFindsMistakes(t *testing.T) {
	const doc = `# Sample

| # | Level | What the platform does | Tests | Status |
|---|---|---|---|---|
| 1 | MUST | Sends the header. | ` + "`test/conformance.TestEveryNamedTestExists`" + `, test/conformance.TestTheCheckerFindsMistakes/sub | covered |
| 2 | SHOULD | Does something untested. | — | partly |
| 3 | MUST | Names a test that is gone. | test/conformance.TestGone | covered |
| 3 | MUST | Is listed twice. | test/conformance.TestEveryNamedTestExists | covered |
| 6 | (broker MUST) | Names a package that is not there. | pkg/nosuchpackage.TestX | not covered |
| 9 | SHOULD | Is not an item. | — | not covered: no |
| 4 | MUST | Comes out of order and names no test. | pkg/osb | covered |
| x | MUST | Has no number. | — | not covered |
| 10 | MAY | Has a level out of scope. | — | not covered |
| 7 | MUST | Has too few cells. |
| 8 | (broker MUST) | Is a platform item with a broker level. | — | not covered |
`
	rows, errs := parseRows(doc)
	errs = slices.Concat(errs,
		checkItems(rows, []int{1, 2, 3, 4, 7, 8}, []int{6}),
		checkCoverage(rows),
		checkTests(rows, newTestFuncs(moduleRoot)),
	)
	want := []string{
		`line 11: item 4: "pkg/osb" is not a test reference like pkg/osb.TestName or pkg/osb.TestName/subtest`,
		`line 12: "x" is not a checklist number`,
		`line 13: item 10: level "MAY" is not like "MUST, SHOULD" or "(broker MUST)"`,
		"line 14: 3 cells, want 5 (#, Level, What the platform does, Tests, Status)",
		"line 8: item 3 is listed twice (first on line 7)",
		"line 10: item 9 is not a platform MUST or SHOULD item of the checklist, nor a listed broker-side one",
		"line 11: item 4 comes after item 9; keep the checklist's order",
		"line 13: item 10 is not a platform MUST or SHOULD item of the checklist, nor a listed broker-side one",
		`line 15: item 8 comes after item 10; keep the checklist's order`,
		`line 15: item 8 is a platform item, but its level is "(broker MUST)"`,
		"item 7 of the checklist is missing",
		`line 6: item 2 lists no test, so its status must start with "not covered", not "partly"`,
		`line 9: item 6 names tests but says "not covered"; use — when no test covers it`,
		"line 7: item 3: test/conformance.TestGone: package test/conformance has no func TestGone(t *testing.T)",
		"line 9: item 6: pkg/nosuchpackage.TestX: package pkg/nosuchpackage has no *_test.go files (is the path right?)",
	}
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("the checks reported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rows) == 0 || len(rows[0].tests) != 2 || rows[0].tests[1] != (testRef{"test/conformance", "TestTheCheckerFindsMistakes", "sub"}) {
		t.Errorf("first row's tests = %+v", rows[0].tests)
	}
}
