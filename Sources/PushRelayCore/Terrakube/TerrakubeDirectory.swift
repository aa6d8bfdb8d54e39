/// Terrakube's lookups by name (SPEC section 5): organizations, workspaces and templates.
package protocol TerrakubeDirectory: Sendable {
    /// `GET /api/v1/organization?filter[organization]=name=='<name>'`, `data[0].id`; `nil` when none.
    func organizationID(named name: String) async throws(TerrakubeFailure) -> String?
    /// `GET /api/v1/organization/{org}/workspace?filter[workspace]=name=='<name>'`, `data[0].id`.
    func workspaceID(named name: String, organization: String) async throws(TerrakubeFailure) -> String?
    /// `GET /api/v1/organization/{org}/template?filter[template]=name=='<name>'`, `data[0].id`.
    func templateID(named name: String, organization: String) async throws(TerrakubeFailure) -> String?
}
