// Package k8s_test validates the Kubernetes manifests of deploy/k8s without a cluster: every
// document decodes strictly (unknown or duplicate fields are errors) into the Go API types of
// k8s.io/api, the kustomization lists every file, and the manifests agree with each other and
// with csat (probes on /healthz and /readyz, sized resources, references that resolve, only
// configuration variables that csat reads). Admission by a real API server was not run.
package k8s_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// partitions is the default partition count of csat's topics (scripts/services.sh,
// deploy/compose): more ingest replicas than this would idle.
const partitions = 12

type manifests struct {
	files       map[string][]runtime.Object
	deployments map[string]*appsv1.Deployment
	services    []*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	jobs        []*batchv1.Job
	sas         map[string]*corev1.ServiceAccount
}

func load(t *testing.T) *manifests {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	paths, err := filepath.Glob("*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	m := &manifests{files: map[string][]runtime.Object{}, deployments: map[string]*appsv1.Deployment{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, sas: map[string]*corev1.ServiceAccount{}}
	for _, p := range paths {
		if p == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for i := 1; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", p, i, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			obj, gvk, err := dec.Decode(doc, nil, nil)
			if err != nil {
				t.Errorf("%s: document %d: %v", p, i, err)
				continue
			}
			m.files[p] = append(m.files[p], obj)
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments[o.Name] = o
			case *corev1.Service:
				m.services = append(m.services, o)
			case *corev1.ConfigMap:
				m.configMaps[o.Name] = o
			case *corev1.Secret:
				m.secrets[o.Name] = o
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.hpas = append(m.hpas, o)
			case *batchv1.Job:
				m.jobs = append(m.jobs, o)
			case *corev1.ServiceAccount:
				m.sas[o.Name] = o
			case *corev1.Namespace:
			default:
				t.Errorf("%s: document %d: unexpected kind %s", p, i, gvk)
			}
		}
	}
	return m
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l...)
			out = append(out, '\n')
		}
	}
	return out
}

func TestKustomization(t *testing.T) {
	b, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: %s %s", k.APIVersion, k.Kind)
	}
	files, _ := filepath.Glob("*.yaml")
	files = slices.DeleteFunc(files, func(f string) bool { return f == "kustomization.yaml" })
	res := slices.Clone(k.Resources)
	sort.Strings(res)
	if strings.Join(res, " ") != strings.Join(files, " ") {
		t.Errorf("kustomization resources %v, files %v", res, files)
	}
	if len(k.Images) != 1 || k.Images[0].Name != "csat" {
		t.Errorf("kustomization images %+v: want one entry for the image name csat", k.Images)
	}
	if k.Namespace != "csat" {
		t.Errorf("namespace %q", k.Namespace)
	}
}

// configVars reads the variables of the configuration reference (docs/configuration.md).
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "<!-- config:begin -->"), strings.Index(s, "<!-- config:end -->")
	if i < 0 || j < i {
		t.Fatal("docs/configuration.md has no configuration table")
	}
	vars := map[string]bool{}
	for _, g := range regexp.MustCompile("\\| `(CSAT_[A-Z0-9_]+)` \\|").FindAllStringSubmatch(s[i:j], -1) {
		vars[g[1]] = true
	}
	return vars
}

func TestManifests(t *testing.T) {
	m := load(t)
	vars := configVars(t)
	for name, cm := range m.configMaps {
		for k := range cm.Data {
			if !vars[k] {
				t.Errorf("ConfigMap %s: %s is not a csat setting (docs/configuration.md)", name, k)
			}
		}
	}
	for name, s := range m.secrets {
		for k := range s.StringData {
			if !vars[k] {
				t.Errorf("Secret %s: %s is not a csat setting", name, k)
			}
		}
	}

	// Resource sizes: ingest's RSS target is 300 MB, serve's 500 MB (benchmarks, docs/capacity.md).
	maxMem := map[string]string{"csat-ingest": "384Mi", "csat-serve": "640Mi", "csat-notify": "640Mi"}
	for _, want := range []string{"csat-ingest", "csat-serve", "csat-notify"} {
		d := m.deployments[want]
		if d == nil {
			t.Errorf("no Deployment %s", want)
			continue
		}
		if got := d.Spec.Selector.MatchLabels; !subset(got, d.Spec.Template.Labels) {
			t.Errorf("%s: selector %v does not select its pods %v", want, got, d.Spec.Template.Labels)
		}
		if d.Spec.Template.Spec.ServiceAccountName != "" && m.sas[d.Spec.Template.Spec.ServiceAccountName] == nil {
			t.Errorf("%s: no ServiceAccount %s", want, d.Spec.Template.Spec.ServiceAccountName)
		}
		sc := d.Spec.Template.Spec.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pods must run as non-root", want)
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			checkContainer(t, m, want+"/"+c.Name, c, maxMem[want])
		}
	}
	if g := m.deployments["csat-ingest"]; g != nil && g.Spec.Template.Spec.TerminationGracePeriodSeconds != nil &&
		*g.Spec.Template.Spec.TerminationGracePeriodSeconds <= 30 {
		t.Errorf("csat-ingest: terminationGracePeriodSeconds %d must exceed CSAT_SHUTDOWN_GRACE (30s)",
			*g.Spec.Template.Spec.TerminationGracePeriodSeconds)
	}
	if len(m.jobs) != 1 || len(m.jobs[0].Spec.Template.Spec.Containers) != 1 ||
		!slices.Equal(m.jobs[0].Spec.Template.Spec.Containers[0].Args, []string{"migrate"}) {
		t.Errorf("want one migrate Job running `csat migrate`")
	}
	for _, j := range m.jobs {
		for _, c := range j.Spec.Template.Spec.Containers {
			checkEnvFrom(t, m, j.Name+"/"+c.Name, c)
		}
	}

	// PDBs and HPAs point at the Deployments.
	covered := map[string]bool{}
	for _, p := range m.pdbs {
		n := 0
		for name, d := range m.deployments {
			if subset(p.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				covered[name] = true
				n++
			}
		}
		if n != 1 {
			t.Errorf("PodDisruptionBudget %s selects %d Deployments, want 1", p.Name, n)
		}
	}
	for name := range m.deployments {
		if !covered[name] {
			t.Errorf("Deployment %s has no PodDisruptionBudget", name)
		}
	}
	for _, h := range m.hpas {
		ref := h.Spec.ScaleTargetRef
		d := m.deployments[ref.Name]
		if ref.Kind != "Deployment" || d == nil {
			t.Errorf("HPA %s scales %s %s, not a Deployment here", h.Name, ref.Kind, ref.Name)
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HPA %s: replicas %v..%d", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		if ref.Name == "csat-ingest" && h.Spec.MaxReplicas > partitions {
			t.Errorf("HPA %s: maxReplicas %d > %d partitions: the extra consumers would idle", h.Name, h.Spec.MaxReplicas, partitions)
		}
		if len(h.Spec.Metrics) == 0 {
			t.Errorf("HPA %s has no metric", h.Name)
		}
	}
	for _, s := range m.services {
		n := 0
		for _, d := range m.deployments {
			if subset(s.Spec.Selector, d.Spec.Template.Labels) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Service %s selects %d Deployments, want 1", s.Name, n)
		}
	}
}

func checkContainer(t *testing.T, m *manifests, where string, c corev1.Container, maxMem string) {
	t.Helper()
	if c.Image != "csat" {
		t.Errorf("%s: image %q, want csat (kustomization sets the registry and tag)", where, c.Image)
	}
	probe := func(kind string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", where, kind)
			return
		}
		if p.HTTPGet.Path != path {
			t.Errorf("%s: %s probe on %s, want %s", where, kind, p.HTTPGet.Path, path)
		}
		if p.HTTPGet.Port.String() != "http" || len(c.Ports) == 0 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 {
			t.Errorf("%s: %s probe port %s; want the named port http (8080, CSAT_HTTP_ADDR)", where, kind, p.HTTPGet.Port.String())
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() {
		t.Errorf("%s: requests %v: want cpu and memory", where, req)
	}
	if lim.Memory().IsZero() || lim.Memory().Cmp(*req.Memory()) < 0 {
		t.Errorf("%s: memory limit %v below its request %v", where, lim.Memory(), req.Memory())
	}
	if max := resource.MustParse(maxMem); lim.Memory().Cmp(max) > 0 {
		t.Errorf("%s: memory limit %v above %v", where, lim.Memory(), maxMem)
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: want allowPrivilegeEscalation false and a read-only root file system", where)
	}
	checkEnvFrom(t, m, where, c)
}

func checkEnvFrom(t *testing.T, m *manifests, where string, c corev1.Container) {
	t.Helper()
	var cm, sec bool
	for _, e := range c.EnvFrom {
		switch {
		case e.ConfigMapRef != nil:
			cm = m.configMaps[e.ConfigMapRef.Name] != nil
		case e.SecretRef != nil:
			sec = m.secrets[e.SecretRef.Name] != nil
		}
	}
	if !cm || !sec {
		t.Errorf("%s: settings must come from the ConfigMap and the credentials Secret (configMap %v, secret %v)", where, cm, sec)
	}
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// The decoder really is strict: a misspelt field fails.
func TestStrictDecoding(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := appsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n")
	if _, _, err := dec.Decode(doc, nil, nil); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("unknown field spec.replica: got %v, want a strict decoding error", err)
	}
}
