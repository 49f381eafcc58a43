package store

import "strings"

// Between quotes, ClickHouse's SQL gives a meaning to the backslash (an escape sequence) and
// to the closing quote; any other byte, NUL and newlines included, stands for itself (on 18.16
// as on current releases). The escapers escape exactly those two.
var (
	literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	identEscaper   = strings.NewReplacer(`\`, `\\`, "`", "\\`")
)

// QuoteString returns s as a ClickHouse string literal: the server reads it back as exactly s,
// whatever bytes s holds.
func QuoteString(s string) string {
	return "'" + literalEscaper.Replace(s) + "'"
}

// QuoteStrings returns ss as a comma-separated list of string literals ('a', 'b'), for IN
// lists and array literals.
func QuoteStrings(ss []string) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteString(s))
	}
	return b.String()
}

// QuoteIdent returns s as a back-quoted ClickHouse identifier (a database, table or column
// name): the server reads it back as exactly s.
func QuoteIdent(s string) string {
	return "`" + identEscaper.Replace(s) + "`"
}
