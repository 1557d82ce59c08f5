// Package nacos reads Alibaba Nacos naming through its open API: v1
// (/nacos/v1/ns/service/list, /nacos/v1/ns/instance/list), or v2
// (/nacos/v2/ns/instance/list) with nacos://host:8848?api=v2.
//
// An instance is critical when Nacos marks it unhealthy, a warning when it
// is disabled (registered, but given no traffic). Ephemeral instances live
// by client heartbeats: the heartbeat timeout (instanceHeartBeatTimeOut, or
// the preserved.heart.beat.timeout metadata) is the lease TTL and the
// delete timeout (ipDeleteTimeout, preserved.ip.delete.timeout) is kept in
// the metadata. The open API does not expose the last heartbeat's time.
package nacos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
)

// DefaultAddress is Nacos's usual port on this host; DefaultGroup the
// group services are listed in unless the address names another.
const (
	DefaultAddress = "127.0.0.1:8848"
	DefaultGroup   = "DEFAULT_GROUP"
)

func init() {
	registry.RegisterKind(registry.Kind{
		Name: "nacos", Title: "Nacos",
		URL:            "HOST:PORT[?group=G][&api=v2]",
		DefaultAddress: DefaultAddress,
		Default:        DefaultAddress + ", group DEFAULT_GROUP, API v1",
		Open:           Open,
	})
}

// Registry is the Nacos adapter.
type Registry struct {
	base      string // scheme://host:port
	namespace string
	group     string
	apiV2     bool
	user      string
	password  string
	token     string
	http      *http.Client

	mu          sync.Mutex
	accessToken string
}

// Open reads the settings: the address is HOST:PORT[?group=G][&api=v2];
// --namespace is the namespace id. A token "user:password" logs in through
// /nacos/v1/auth/login; any other token is sent as the accessToken.
func Open(c config.Context) (registry.Registry, error) {
	a, err := registry.ParseEndpoint(c, DefaultAddress)
	if err != nil {
		return nil, err
	}
	scheme := a.URLScheme()
	r := &Registry{
		base:      scheme + "://" + a.Hosts[0],
		namespace: c.Namespace,
		group:     DefaultGroup,
		apiV2:     a.Query.Get("api") == "v2",
		http:      &http.Client{Transport: &http.Transport{TLSClientConfig: a.TLS, Proxy: http.ProxyFromEnvironment}},
	}
	if g := a.Query.Get("group"); g != "" {
		r.group = g
	}
	tok, err := registry.Token(c)
	if err != nil {
		return nil, err
	}
	if u, p, ok := strings.Cut(tok, ":"); ok {
		r.user, r.password = u, p
	} else {
		r.token = tok
	}
	return r, nil
}

// Kind implements registry.Registry.
func (r *Registry) Kind() string { return "nacos" }

// errNotFound marks a 404 from Nacos.
var errNotFound = errors.New("not found")

// get calls a Nacos API path with query q and decodes the JSON answer.
func (r *Registry) get(ctx context.Context, path string, q url.Values, out any) error {
	if tok, err := r.login(ctx); err != nil {
		return err
	} else if tok != "" {
		q.Set("accessToken", tok)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return r.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &registry.UnreachableError{Kind: "nacos", Address: r.base, Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound ||
		resp.StatusCode != http.StatusOK && (strings.Contains(string(body), "not found") || strings.Contains(string(body), "not exist")):
		return fmt.Errorf("%w: %s", errNotFound, snippet(body))
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("nacos at %s refused %s (%s): %w", r.base, path, resp.Status, registry.ErrPermissionDenied)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("nacos at %s: %s: %s: %s", r.base, path, resp.Status, snippet(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("nacos at %s: %s: not the expected JSON (%v): %s", r.base, path, err, snippet(body))
	}
	return nil
}

func (r *Registry) transportError(err error) error {
	if registry.IsTLSVerification(err) {
		return registry.TLSError("nacos", r.base, err)
	}
	return &registry.UnreachableError{Kind: "nacos", Address: r.base, Err: err}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// login exchanges user:password for an access token once.
func (r *Registry) login(ctx context.Context) (string, error) {
	if r.user == "" {
		return r.token, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.accessToken != "" {
		return r.accessToken, nil
	}
	form := url.Values{"username": {r.user}, "password": {r.password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/nacos/v1/auth/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.http.Do(req)
	if err != nil {
		return "", r.transportError(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || out.AccessToken == "" {
		return "", fmt.Errorf("nacos at %s: login as %s failed (%s): %w", r.base, r.user, resp.Status, registry.ErrPermissionDenied)
	}
	r.accessToken = out.AccessToken
	return r.accessToken, nil
}

// splitName reads GROUP@@NAME, the form Nacos itself prints; a plain name
// is in the configured group.
func (r *Registry) splitName(service string) (group, name string) {
	if g, n, ok := strings.Cut(service, "@@"); ok {
		return g, n
	}
	return r.group, service
}

// Services implements registry.Registry: the service list page by page,
// then each service's instances (a few at a time), since Nacos has no call
// that answers health counts for every service.
func (r *Registry) Services(ctx context.Context, q registry.Query) ([]registry.Service, error) {
	if q.Filter != "" {
		return nil, fmt.Errorf("%w: the nacos registry does not support --filter", registry.ErrInvalidQuery)
	}
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	var names []string
	const pageSize = 500
	for page := 1; page <= 1000; page++ {
		var resp struct {
			Count int      `json:"count"`
			Doms  []string `json:"doms"`
		}
		qv := url.Values{"pageNo": {strconv.Itoa(page)}, "pageSize": {strconv.Itoa(pageSize)}, "groupName": {r.group}}
		if r.namespace != "" {
			qv.Set("namespaceId", r.namespace)
		}
		if err := r.get(ctx, "/nacos/v1/ns/service/list", qv, &resp); err != nil {
			if errors.Is(err, errNotFound) {
				return nil, &registry.UnreachableError{Kind: "nacos", Address: r.base,
					Err: fmt.Errorf("GET /nacos/v1/ns/service/list: 404: no Nacos API here (wrong address?)")}
			}
			return nil, err
		}
		names = append(names, resp.Doms...)
		if len(resp.Doms) < pageSize || len(names) >= resp.Count {
			break
		}
	}
	lists := make([][]registry.Instance, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lists[i], errs[i] = r.instances(ctx, n)
		}()
	}
	wg.Wait()
	var all []registry.Instance
	empty := []string{}
	for i, err := range errs {
		if errors.Is(err, registry.ErrServiceNotFound) {
			continue // deleted between the two calls
		}
		if err != nil {
			return nil, err
		}
		if len(lists[i]) == 0 {
			empty = append(empty, names[i])
		}
		all = append(all, lists[i]...)
	}
	return registry.SummarizeWithEmpty(all, empty, q), nil
}

// Instances implements registry.Registry.
func (r *Registry) Instances(ctx context.Context, service string) ([]registry.Instance, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	ins, err := r.instances(ctx, service)
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 {
		// Nacos answers an unknown service with an empty list: tell the
		// two apart through the service list.
		exists, err := r.exists(ctx, service)
		if err != nil {
			return nil, err
		}
		if !exists {
			return nil, fmt.Errorf("%w: %s in nacos group %s", registry.ErrServiceNotFound, service, r.group)
		}
	}
	return ins, nil
}

func (r *Registry) exists(ctx context.Context, service string) (bool, error) {
	group, name := r.splitName(service)
	var resp struct {
		Doms []string `json:"doms"`
	}
	qv := url.Values{"pageNo": {"1"}, "pageSize": {"100000"}, "groupName": {group}}
	if r.namespace != "" {
		qv.Set("namespaceId", r.namespace)
	}
	if err := r.get(ctx, "/nacos/v1/ns/service/list", qv, &resp); err != nil {
		return false, err
	}
	for _, d := range resp.Doms {
		if d == name {
			return true, nil
		}
	}
	return false, nil
}

// host is an instance in either API version's answer.
type host struct {
	InstanceID                string            `json:"instanceId"`
	IP                        string            `json:"ip"`
	Port                      int               `json:"port"`
	Weight                    float64           `json:"weight"`
	Healthy                   bool              `json:"healthy"`
	Enabled                   bool              `json:"enabled"`
	Ephemeral                 bool              `json:"ephemeral"`
	ClusterName               string            `json:"clusterName"`
	ServiceName               string            `json:"serviceName"`
	Metadata                  map[string]string `json:"metadata"`
	InstanceHeartBeatInterval int64             `json:"instanceHeartBeatInterval"`
	InstanceHeartBeatTimeOut  int64             `json:"instanceHeartBeatTimeOut"`
	IPDeleteTimeout           int64             `json:"ipDeleteTimeout"`
}

type serviceInfo struct {
	Hosts []host `json:"hosts"`
}

func (r *Registry) instances(ctx context.Context, service string) ([]registry.Instance, error) {
	group, name := r.splitName(service)
	qv := url.Values{"serviceName": {name}, "groupName": {group}, "healthyOnly": {"false"}}
	if r.namespace != "" {
		qv.Set("namespaceId", r.namespace)
	}
	var info serviceInfo
	var err error
	if r.apiV2 {
		var resp struct {
			Code    int         `json:"code"`
			Message string      `json:"message"`
			Data    serviceInfo `json:"data"`
		}
		err = r.get(ctx, "/nacos/v2/ns/instance/list", qv, &resp)
		// 21008 is Nacos's "service not exist".
		if err == nil && resp.Code == 21008 {
			err = errNotFound
		}
		if err == nil && resp.Code != 0 {
			err = fmt.Errorf("nacos at %s: code %d: %s", r.base, resp.Code, resp.Message)
		}
		info = resp.Data
	} else {
		err = r.get(ctx, "/nacos/v1/ns/instance/list", qv, &info)
	}
	if errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("%w: %s in nacos group %s", registry.ErrServiceNotFound, name, group)
	}
	if err != nil {
		return nil, err
	}
	out := make([]registry.Instance, 0, len(info.Hosts))
	for _, h := range info.Hosts {
		out = append(out, toInstance(service, h))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// metaMillis reads a millisecond metadata value that overrides a default.
func metaMillis(meta map[string]string, key string, def int64) int64 {
	if v, err := strconv.ParseInt(meta[key], 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}

func toInstance(service string, h host) registry.Instance {
	in := registry.Instance{
		ID:      h.InstanceID,
		Service: service,
		Address: h.IP,
		Port:    h.Port,
		Source:  "nacos",
		Meta:    map[string]string{},
	}
	if in.ID == "" {
		in.ID = fmt.Sprintf("%s#%d#%s", h.IP, h.Port, h.ClusterName)
	}
	for k, v := range h.Metadata {
		in.Meta[k] = v
	}
	// Nacos has no tags; msctl registry register keeps them here.
	if t := in.Meta["tags"]; t != "" {
		in.Tags = append(in.Tags, strings.Split(t, ",")...)
		delete(in.Meta, "tags")
	}
	in.Meta["weight"] = strconv.FormatFloat(h.Weight, 'f', -1, 64)
	in.Meta["ephemeral"] = strconv.FormatBool(h.Ephemeral)
	if h.ClusterName != "" {
		in.Meta["cluster"] = h.ClusterName
		in.Tags = append(in.Tags, "cluster="+h.ClusterName)
	}
	in.Version = registry.VersionOf(nil, h.Metadata)

	check := registry.Check{ID: "nacos-health", Name: "Nacos health", Status: registry.Passing, Output: "healthy"}
	if h.Ephemeral {
		check.Type = "heartbeat"
		timeout := metaMillis(h.Metadata, "preserved.heart.beat.timeout", h.InstanceHeartBeatTimeOut)
		del := metaMillis(h.Metadata, "preserved.ip.delete.timeout", h.IPDeleteTimeout)
		interval := metaMillis(h.Metadata, "preserved.heart.beat.interval", h.InstanceHeartBeatInterval)
		// The open API does not say when the last heartbeat came, so the
		// timeout is the check's TTL, not a lease with time left.
		if timeout > 0 {
			check.TTL = time.Duration(timeout) * time.Millisecond
			in.Meta["heart_beat_timeout_ms"] = strconv.FormatInt(timeout, 10)
		}
		if del > 0 {
			in.Meta["ip_delete_timeout_ms"] = strconv.FormatInt(del, 10)
		}
		if interval > 0 {
			in.Meta["heart_beat_interval_ms"] = strconv.FormatInt(interval, 10)
		}
	} else {
		check.Type = "server-check"
	}
	switch {
	case !h.Healthy:
		check.Status = registry.Critical
		check.Output = "unhealthy"
		if h.Ephemeral {
			check.Output = "unhealthy: no heartbeat within the heartbeat timeout"
		}
	case !h.Enabled:
		check.Status = registry.Warning
		check.Output = "healthy but disabled: Nacos gives it no traffic"
	}
	in.Checks = []registry.Check{check}
	in.Health = check.Status
	return in
}
