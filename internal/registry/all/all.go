// Package all imports every registry adapter so that registry.Open knows
// them. Commands import this package, adapters never do.
package all

import (
	_ "github.com/msctl/msctl/internal/registry/cloudmap" // AWS Cloud Map
	_ "github.com/msctl/msctl/internal/registry/consul"
	_ "github.com/msctl/msctl/internal/registry/dnssrv"     // DNS SRV through any resolver
	_ "github.com/msctl/msctl/internal/registry/etcd"       // etcd: naming/endpoints and JSON layouts
	_ "github.com/msctl/msctl/internal/registry/eureka"     // Eureka REST
	_ "github.com/msctl/msctl/internal/registry/kubernetes" // EndpointSlices
	_ "github.com/msctl/msctl/internal/registry/nacos"      // Nacos open API v1/v2
	_ "github.com/msctl/msctl/internal/registry/serf"       // Serf members by tag
	_ "github.com/msctl/msctl/internal/registry/zookeeper"  // ZooKeeper: Curator service discovery
)
