package enum PlaceholderStandIn {}
