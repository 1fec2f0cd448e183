-- wangge storage schema (PostGIS). Append-only: change the schema with a new numbered file.
-- Geometries are lon/lat (EPSG:4326; CGCS2000 treated as the same datum, see the engine model).
-- Every table keeps a `seq` identity so reads return rows in the order they were written, which
-- is the order the in-memory reference store returns.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE admin_areas (
    seq      bigint GENERATED ALWAYS AS IDENTITY,
    code     text NOT NULL,
    name     text NOT NULL,
    level    text NOT NULL,
    parent   text,
    kind     text NOT NULL,
    geometry geometry(MultiPolygon, 4326),
    CONSTRAINT admin_areas_pk PRIMARY KEY (code),
    CONSTRAINT admin_areas_seq_key UNIQUE (seq),
    CONSTRAINT admin_areas_level_known CHECK (level IN ('district', 'town', 'community')),
    CONSTRAINT admin_areas_kind_known CHECK (kind IN ('urban', 'rural'))
);

-- Every version of every grid. A version is current while valid_to is null.
CREATE TABLE grids (
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    id         text NOT NULL,
    version    integer NOT NULL,
    code       text NOT NULL,
    name       text NOT NULL,
    layer      text NOT NULL,
    parent     text,
    kind       text NOT NULL,
    status     text NOT NULL,
    category   text,
    network    text,
    properties jsonb NOT NULL DEFAULT '{}'::jsonb,
    geometry   geometry(MultiPolygon, 4326) NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    CONSTRAINT grids_pk PRIMARY KEY (seq),
    CONSTRAINT grids_id_version_key UNIQUE (id, version),
    CONSTRAINT grids_version_positive CHECK (version > 0),
    CONSTRAINT grids_layer_known CHECK (layer IN ('base', 'micro', 'special', 'composite')),
    CONSTRAINT grids_kind_known CHECK (kind IN ('urban', 'rural')),
    CONSTRAINT grids_status_known CHECK (status IN ('active', 'reserved', 'suspended')),
    CONSTRAINT grids_validity_ordered CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
-- At most one current version per grid, whatever the application does.
CREATE UNIQUE INDEX grids_one_current_version ON grids (id) WHERE valid_to IS NULL;
CREATE INDEX grids_code_idx ON grids (code);
CREATE INDEX grids_geometry_gist ON grids USING gist (geometry);

-- The base grids a composite grid version is made of, in order.
CREATE TABLE grid_members (
    grid_id      text NOT NULL,
    grid_version integer NOT NULL,
    ord          integer NOT NULL,
    member_id    text NOT NULL,
    CONSTRAINT grid_members_pk PRIMARY KEY (grid_id, grid_version, ord),
    CONSTRAINT grid_members_grid_fk FOREIGN KEY (grid_id, grid_version)
        REFERENCES grids (id, version) ON DELETE CASCADE
);

CREATE TABLE buildings (
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    id         text NOT NULL,
    geometry   geometry(Geometry, 4326) NOT NULL,
    households integer NOT NULL,
    residents  integer NOT NULL,
    usage      text,
    CONSTRAINT buildings_pk PRIMARY KEY (id),
    CONSTRAINT buildings_seq_key UNIQUE (seq),
    CONSTRAINT buildings_polygon_or_point
        CHECK (GeometryType(geometry) IN ('POLYGON', 'POINT')),
    CONSTRAINT buildings_counts_non_negative CHECK (households >= 0 AND residents >= 0)
);
CREATE INDEX buildings_geometry_gist ON buildings USING gist (geometry);

-- Households live in a building or at a point. Lon/lat are plain doubles: exact, and the
-- cheapest to bulk load and read for millions of rows.
CREATE TABLE households (
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    id          text NOT NULL,
    building_id text,
    lon         double precision,
    lat         double precision,
    residents   integer NOT NULL,
    CONSTRAINT households_pk PRIMARY KEY (seq),
    CONSTRAINT households_building_or_point
        CHECK (building_id IS NOT NULL OR (lon IS NOT NULL AND lat IS NOT NULL)),
    CONSTRAINT households_residents_non_negative CHECK (residents >= 0)
);
CREATE INDEX households_building_idx ON households (building_id);

CREATE TABLE grid_people (
    seq   bigint GENERATED ALWAYS AS IDENTITY,
    id    text NOT NULL,
    name  text NOT NULL,
    role  text NOT NULL,
    grids jsonb NOT NULL,
    phone text,
    CONSTRAINT grid_people_pk PRIMARY KEY (id),
    CONSTRAINT grid_people_seq_key UNIQUE (seq)
);

-- Only a hash of each secret is stored.
CREATE TABLE api_tokens (
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    id          text NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL,
    areas       jsonb NOT NULL,
    secret_hash text NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT api_tokens_pk PRIMARY KEY (id),
    CONSTRAINT api_tokens_seq_key UNIQUE (seq),
    CONSTRAINT api_tokens_role_known CHECK (role IN ('viewer', 'planner', 'admin'))
);

-- The change log: who, when, why, which operation, and the grid versions before and after.
CREATE TABLE change_sets (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    actor       text NOT NULL,
    reason      text NOT NULL,
    operation   text NOT NULL,
    at          timestamptz NOT NULL,
    change_date date NOT NULL,
    changes     jsonb NOT NULL,
    CONSTRAINT change_sets_pk PRIMARY KEY (id)
);

-- Other processes follow the log: every new entry is announced on channel wangge_changes
-- (delivered when the writing transaction commits).
CREATE FUNCTION wangge_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wangge_changes', NEW.id::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER change_sets_notify AFTER INSERT ON change_sets
    FOR EACH ROW EXECUTE FUNCTION wangge_notify_change();
