package store_test

import (
	"fmt"

	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/store"
)

func Example() {
	t, _ := store.TableOf(schema.TypeHotlineFeedback)
	f := t.Families()[0]
	fmt.Println(t.Name(), "->", f, "->", f.Table())
	for _, raw := range f.RawTables() {
		fmt.Println(" ", raw.Name())
	}
	fmt.Println("SELECT count() FROM", store.QuoteIdent(t.Name()), "WHERE agent_id =", store.QuoteString("O'Brien"))
	// Output:
	// hotline_feedback -> window -> kpi_window
	//   hotline_feedback
	//   store_feedback
	// SELECT count() FROM `hotline_feedback` WHERE agent_id = 'O\'Brien'
}
