package aggregate_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/csat-dev/csat/aggregate"
	"github.com/csat-dev/csat/schema"
	"github.com/csat-dev/csat/schema/chdb/chtest"
)

// TestDriversMoments checks kpi_drivers' cross moments Σw·x_j·x_k (the full P×P matrix, laid
// out from the upper triangle the recompute sums), Σw·x_k and Σw·x_k·y against a plain Go
// computation over the same random responses, with the 10-item default catalog, items answered
// in shuffled order, and incomplete responses that must stay out.
func TestDriversMoments(t *testing.T) {
	conn, _ := chtest.New(t)
	ctx := context.Background()
	cat := schema.DefaultCatalog()
	p := len(cat.Items)
	rng := rand.New(rand.NewPCG(7, 11))
	sxx := make([]float64, p*p)
	sx, sxy := make([]float64, p), make([]float64, p)
	var n int
	var rows [][]any
	for i := range 300 {
		w := 0.5 + rng.Float64()*2
		overall := uint8(1 + rng.IntN(10))
		order := rng.Perm(p)
		codes, scores := make([]string, 0, p), make([]uint8, 0, p)
		x := make([]float64, p)
		for _, k := range order {
			s := uint8(1 + rng.IntN(10))
			codes, scores = append(codes, cat.Items[k].Code), append(scores, s)
			x[k] = (float64(s) - 1) * 100 / 9
		}
		complete := true
		switch i % 10 {
		case 3: // an item missing
			codes, scores = codes[:p-1], scores[:p-1]
			complete = false
		case 7: // no overall answer
			overall = 0
			complete = false
		}
		rows = append(rows, resp(fmt.Sprintf("m%d", i), "GD-GZ-TH", oct, "cmcc", w, overall, codes, scores, 0, int64(i)))
		if !complete {
			continue
		}
		n++
		y := (float64(overall) - 1) * 100 / 9
		for j := range p {
			sx[j] += w * x[j]
			sxy[j] += x[j] * w * y
			for k := range p {
				sxx[j*p+k] += x[j] * x[k] * w
			}
		}
	}
	insert(t, conn, "survey_responses", colsSurvey, rows...)
	mark(t, conn, aggregate.DirtyMark{Family: aggregate.FamilySurvey, Month: oct})
	proj := aggregate.NewProjector(conn, aggregate.ProjectorConfig{Catalog: cat, SLAHours: 48}, nil, nil)
	if err := proj.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// Drivers are recomputed through the survey recompute's version and views: the same rows.
	vers := map[string][2]uint64{}
	vrows, err := conn.Query(ctx, "SELECT family, max(version), argMax(source_rows, version) FROM kpi_versions WHERE month = 202610 GROUP BY family")
	if err != nil {
		t.Fatal(err)
	}
	for vrows.Next() {
		var (
			fam    string
			v, src uint64
		)
		if err := vrows.Scan(&fam, &v, &src); err != nil {
			t.Fatal(err)
		}
		vers[fam] = [2]uint64{v, src}
	}
	if err := vrows.Err(); err != nil {
		t.Fatal(err)
	}
	if s, d := vers["survey"], vers["drivers"]; s[0] == 0 || s != d || s[1] != 300 {
		t.Errorf("kpi_versions: survey (version, source rows) %v, drivers %v; want the same, with 300 rows", s, d)
	}
	var (
		gotN        uint64
		gx, gxx, gy []float64
	)
	q := "SELECT n, swx, swxx, swxy FROM kpi_drivers WHERE branch_id = 'GD-GZ-TH' AND carrier = 'cmcc' ORDER BY version DESC LIMIT 1"
	if err := conn.QueryRow(ctx, q).Scan(&gotN, &gx, &gxx, &gy); err != nil {
		t.Fatal(err)
	}
	if int(gotN) != n || len(gx) != p || len(gxx) != p*p || len(gy) != p {
		t.Fatalf("n %d (want %d), %d/%d/%d moments (want %d/%d/%d)", gotN, n, len(gx), len(gxx), len(gy), p, p*p, p)
	}
	near := func(what string, got, want []float64) {
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, math.Abs(want[i])) {
				t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	near("Σw·x", gx, sx)
	near("Σw·x·x", gxx, sxx)
	near("Σw·x·y", gy, sxy)
	for j := range p {
		for k := range j {
			if gxx[j*p+k] != gxx[k*p+j] {
				t.Errorf("Σw·x·x not symmetric at (%d, %d): %v vs %v", j, k, gxx[j*p+k], gxx[k*p+j])
			}
		}
	}
}
