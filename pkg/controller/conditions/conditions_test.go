package conditions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEveryReasonIsDocumented keeps docs/conditions.md, the documented set of reasons,
// in step with the constants of this package.
func TestEveryReasonIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/conditions.md")
	if err != nil {
		t.Fatal(err)
	}
	file, err := parser.ParseFile(token.NewFileSet(), "conditions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	reasons := 0
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			for _, value := range spec.(*ast.ValueSpec).Values {
				lit, ok := value.(*ast.BasicLit)
				if !ok {
					continue
				}
				reason, _ := strconv.Unquote(lit.Value)
				reasons++
				if !strings.Contains(string(doc), "| `"+reason+"` |") {
					t.Errorf("reason %s is not in docs/conditions.md", reason)
				}
			}
		}
	}
	if reasons < 40 {
		t.Errorf("found only %d reasons; the test no longer reads them", reasons)
	}
}
