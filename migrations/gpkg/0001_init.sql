-- wangge storage schema as an OGC GeoPackage 1.3 (one SQLite file). Append-only: change the
-- schema with a new numbered file. Same tables and history as the PostGIS schema; geometries
-- are GeoPackage geometry blobs in EPSG:4326.

PRAGMA application_id = 1196444487; -- 'GPKG'
PRAGMA user_version = 10300;        -- GeoPackage 1.3.0 (GDAL 3.6 warns on 1.4; nothing here needs 1.4)

CREATE TABLE gpkg_spatial_ref_sys (
    srs_name                 TEXT NOT NULL,
    srs_id                   INTEGER NOT NULL PRIMARY KEY,
    organization             TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL,
    definition               TEXT NOT NULL,
    description              TEXT
);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326,
   'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'),
  ('China Geodetic Coordinate System 2000', 4490, 'EPSG', 4490,
   'GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]',
   'CGCS2000; wangge stores lon/lat as EPSG:4326 and treats the two as one datum');

CREATE TABLE gpkg_contents (
    table_name  TEXT NOT NULL PRIMARY KEY,
    data_type   TEXT NOT NULL,
    identifier  TEXT UNIQUE,
    description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
    srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);

CREATE TABLE gpkg_geometry_columns (
    table_name         TEXT NOT NULL,
    column_name        TEXT NOT NULL,
    geometry_type_name TEXT NOT NULL,
    srs_id             INTEGER NOT NULL,
    z                  TINYINT NOT NULL,
    m                  TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

CREATE TABLE admin_areas (
    fid      INTEGER PRIMARY KEY AUTOINCREMENT,
    code     TEXT NOT NULL CONSTRAINT admin_areas_code_key UNIQUE,
    name     TEXT NOT NULL,
    level    TEXT NOT NULL CONSTRAINT admin_areas_level_known CHECK (level IN ('district', 'town', 'community')),
    parent   TEXT,
    kind     TEXT NOT NULL CONSTRAINT admin_areas_kind_known CHECK (kind IN ('urban', 'rural')),
    geometry MULTIPOLYGON
);

-- Every version of every grid; a version is current while valid_to is null.
CREATE TABLE grids (
    fid        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL,
    version    INTEGER NOT NULL CONSTRAINT grids_version_positive CHECK (version > 0),
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    layer      TEXT NOT NULL CONSTRAINT grids_layer_known CHECK (layer IN ('base', 'micro', 'special', 'composite')),
    parent     TEXT,
    kind       TEXT NOT NULL CONSTRAINT grids_kind_known CHECK (kind IN ('urban', 'rural')),
    status     TEXT NOT NULL CONSTRAINT grids_status_known CHECK (status IN ('active', 'reserved', 'suspended')),
    category   TEXT,
    network    TEXT,
    properties TEXT NOT NULL DEFAULT '{}',
    geometry   MULTIPOLYGON NOT NULL,
    valid_from DATE NOT NULL,
    valid_to   DATE,
    CONSTRAINT grids_id_version_key UNIQUE (id, version),
    CONSTRAINT grids_validity_ordered CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX grids_one_current_version ON grids (id) WHERE valid_to IS NULL;
CREATE INDEX grids_code_idx ON grids (code);

-- The current grids of each layer, for GIS users (QGIS, ogr2ogr).
CREATE VIEW base_grids AS SELECT fid, id, version, code, name, parent, kind, status, geometry, valid_from
    FROM grids WHERE layer = 'base' AND valid_to IS NULL;
CREATE VIEW micro_grids AS SELECT fid, id, version, code, name, parent, kind, status, geometry, valid_from
    FROM grids WHERE layer = 'micro' AND valid_to IS NULL;
CREATE VIEW special_grids AS SELECT fid, id, version, code, name, parent, kind, status, category, geometry, valid_from
    FROM grids WHERE layer = 'special' AND valid_to IS NULL;
CREATE VIEW composite_grids AS SELECT fid, id, version, code, name, network, status, geometry, valid_from
    FROM grids WHERE layer = 'composite' AND valid_to IS NULL;

CREATE TABLE grid_members (
    grid_id      TEXT NOT NULL,
    grid_version INTEGER NOT NULL,
    ord          INTEGER NOT NULL,
    member_id    TEXT NOT NULL,
    CONSTRAINT grid_members_pk PRIMARY KEY (grid_id, grid_version, ord),
    CONSTRAINT grid_members_grid_fk FOREIGN KEY (grid_id, grid_version)
        REFERENCES grids (id, version) ON DELETE CASCADE
);

CREATE TABLE buildings (
    fid        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL CONSTRAINT buildings_id_key UNIQUE,
    geometry   GEOMETRY NOT NULL,
    households INTEGER NOT NULL,
    residents  INTEGER NOT NULL,
    usage      TEXT
);

CREATE TABLE households (
    fid         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL,
    building_id TEXT,
    lon         REAL,
    lat         REAL,
    residents   INTEGER NOT NULL,
    CONSTRAINT households_building_or_point
        CHECK (building_id IS NOT NULL OR (lon IS NOT NULL AND lat IS NOT NULL))
);

CREATE TABLE grid_people (
    fid   INTEGER PRIMARY KEY AUTOINCREMENT,
    id    TEXT NOT NULL CONSTRAINT grid_people_id_key UNIQUE,
    name  TEXT NOT NULL,
    role  TEXT NOT NULL,
    grids TEXT NOT NULL,
    phone TEXT
);

CREATE TABLE api_tokens (
    fid         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL CONSTRAINT api_tokens_id_key UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CONSTRAINT api_tokens_role_known CHECK (role IN ('viewer', 'planner', 'admin')),
    areas       TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE change_sets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    operation   TEXT NOT NULL,
    at          TEXT NOT NULL,
    change_date DATE NOT NULL,
    changes     TEXT NOT NULL
);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('grids', 'features', 'grids', 'every version of every grid (current while valid_to is null)', 4326),
  ('base_grids', 'features', 'base_grids', 'current base grids (基础网格)', 4326),
  ('micro_grids', 'features', 'micro_grids', 'current micro grids (微网格)', 4326),
  ('special_grids', 'features', 'special_grids', 'current special grids (专属网格)', 4326),
  ('composite_grids', 'features', 'composite_grids', 'current composite grids (多网融合网格)', 4326),
  ('admin_areas', 'features', 'admin_areas', 'districts, towns and communities', 4326),
  ('buildings', 'features', 'buildings', 'building footprints or address points', 4326),
  ('households', 'attributes', 'households', 'households by building or point', NULL),
  ('change_sets', 'attributes', 'change_sets', 'the change log', NULL);

INSERT INTO gpkg_geometry_columns VALUES
  ('grids', 'geometry', 'MULTIPOLYGON', 4326, 0, 0),
  ('base_grids', 'geometry', 'MULTIPOLYGON', 4326, 0, 0),
  ('micro_grids', 'geometry', 'MULTIPOLYGON', 4326, 0, 0),
  ('special_grids', 'geometry', 'MULTIPOLYGON', 4326, 0, 0),
  ('composite_grids', 'geometry', 'MULTIPOLYGON', 4326, 0, 0),
  ('admin_areas', 'geometry', 'MULTIPOLYGON', 4326, 0, 0),
  ('buildings', 'geometry', 'GEOMETRY', 4326, 0, 0);
