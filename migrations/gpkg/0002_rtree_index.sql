-- The GeoPackage R-tree spatial index (extension gpkg_rtree_index, GeoPackage 1.3 annex F.3,
-- triggers as revised in 1.4) on every feature table with a geometry column: what QGIS and GDAL
-- use for bounding-box queries. The base_grids… views registered in gpkg_geometry_columns are
-- views, which cannot carry triggers; GIS tools scan them (they filter the indexed grids table).
--
-- The triggers and the fill below call ST_IsEmpty/ST_MinX/ST_MaxX/ST_MinY/ST_MaxY, which SQLite
-- does not have: wangge registers them on every connection it opens (src/store/gpkg/rtree.rs),
-- as GDAL does on its own. A bulk import suspends the insert trigger and fills the index in one
-- statement instead (rtree.rs).

CREATE TABLE IF NOT EXISTS gpkg_extensions (
    table_name     TEXT,
    column_name    TEXT,
    extension_name TEXT NOT NULL,
    definition     TEXT NOT NULL,
    scope          TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);

-- admin_areas.geometry
CREATE VIRTUAL TABLE rtree_admin_areas_geometry USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO rtree_admin_areas_geometry
    SELECT fid, ST_MinX(geometry), ST_MaxX(geometry), ST_MinY(geometry), ST_MaxY(geometry) FROM admin_areas
    WHERE geometry NOT NULL AND NOT ST_IsEmpty(geometry);
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
    ('admin_areas', 'geometry', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE TRIGGER rtree_admin_areas_geometry_insert AFTER INSERT ON admin_areas
  WHEN (new.geometry NOT NULL AND NOT ST_IsEmpty(NEW.geometry))
BEGIN
  INSERT OR REPLACE INTO rtree_admin_areas_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_admin_areas_geometry_update6 AFTER UPDATE OF geometry ON admin_areas
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry)) AND
       (OLD.geometry NOTNULL AND NOT ST_IsEmpty(OLD.geometry))
BEGIN
  UPDATE rtree_admin_areas_geometry SET
    minx = ST_MinX(NEW.geometry), maxx = ST_MaxX(NEW.geometry),
    miny = ST_MinY(NEW.geometry), maxy = ST_MaxY(NEW.geometry)
  WHERE id = NEW.fid;
END;

CREATE TRIGGER rtree_admin_areas_geometry_update7 AFTER UPDATE OF geometry ON admin_areas
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry)) AND
       (OLD.geometry ISNULL OR ST_IsEmpty(OLD.geometry))
BEGIN
  INSERT INTO rtree_admin_areas_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_admin_areas_geometry_update2 AFTER UPDATE OF geometry ON admin_areas
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry ISNULL OR ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_admin_areas_geometry WHERE id = OLD.fid;
END;

CREATE TRIGGER rtree_admin_areas_geometry_update5 AFTER UPDATE ON admin_areas
  WHEN OLD.fid != NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_admin_areas_geometry WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_admin_areas_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_admin_areas_geometry_update4 AFTER UPDATE ON admin_areas
  WHEN OLD.fid != NEW.fid AND
       (NEW.geometry ISNULL OR ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_admin_areas_geometry WHERE id IN (OLD.fid, NEW.fid);
END;

CREATE TRIGGER rtree_admin_areas_geometry_delete AFTER DELETE ON admin_areas
  WHEN old.geometry NOT NULL
BEGIN
  DELETE FROM rtree_admin_areas_geometry WHERE id = OLD.fid;
END;

-- grids.geometry
CREATE VIRTUAL TABLE rtree_grids_geometry USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO rtree_grids_geometry
    SELECT fid, ST_MinX(geometry), ST_MaxX(geometry), ST_MinY(geometry), ST_MaxY(geometry) FROM grids
    WHERE geometry NOT NULL AND NOT ST_IsEmpty(geometry);
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
    ('grids', 'geometry', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE TRIGGER rtree_grids_geometry_insert AFTER INSERT ON grids
  WHEN (new.geometry NOT NULL AND NOT ST_IsEmpty(NEW.geometry))
BEGIN
  INSERT OR REPLACE INTO rtree_grids_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_grids_geometry_update6 AFTER UPDATE OF geometry ON grids
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry)) AND
       (OLD.geometry NOTNULL AND NOT ST_IsEmpty(OLD.geometry))
BEGIN
  UPDATE rtree_grids_geometry SET
    minx = ST_MinX(NEW.geometry), maxx = ST_MaxX(NEW.geometry),
    miny = ST_MinY(NEW.geometry), maxy = ST_MaxY(NEW.geometry)
  WHERE id = NEW.fid;
END;

CREATE TRIGGER rtree_grids_geometry_update7 AFTER UPDATE OF geometry ON grids
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry)) AND
       (OLD.geometry ISNULL OR ST_IsEmpty(OLD.geometry))
BEGIN
  INSERT INTO rtree_grids_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_grids_geometry_update2 AFTER UPDATE OF geometry ON grids
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry ISNULL OR ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_grids_geometry WHERE id = OLD.fid;
END;

CREATE TRIGGER rtree_grids_geometry_update5 AFTER UPDATE ON grids
  WHEN OLD.fid != NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_grids_geometry WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_grids_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_grids_geometry_update4 AFTER UPDATE ON grids
  WHEN OLD.fid != NEW.fid AND
       (NEW.geometry ISNULL OR ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_grids_geometry WHERE id IN (OLD.fid, NEW.fid);
END;

CREATE TRIGGER rtree_grids_geometry_delete AFTER DELETE ON grids
  WHEN old.geometry NOT NULL
BEGIN
  DELETE FROM rtree_grids_geometry WHERE id = OLD.fid;
END;

-- buildings.geometry
CREATE VIRTUAL TABLE rtree_buildings_geometry USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO rtree_buildings_geometry
    SELECT fid, ST_MinX(geometry), ST_MaxX(geometry), ST_MinY(geometry), ST_MaxY(geometry) FROM buildings
    WHERE geometry NOT NULL AND NOT ST_IsEmpty(geometry);
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
    ('buildings', 'geometry', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE TRIGGER rtree_buildings_geometry_insert AFTER INSERT ON buildings
  WHEN (new.geometry NOT NULL AND NOT ST_IsEmpty(NEW.geometry))
BEGIN
  INSERT OR REPLACE INTO rtree_buildings_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_buildings_geometry_update6 AFTER UPDATE OF geometry ON buildings
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry)) AND
       (OLD.geometry NOTNULL AND NOT ST_IsEmpty(OLD.geometry))
BEGIN
  UPDATE rtree_buildings_geometry SET
    minx = ST_MinX(NEW.geometry), maxx = ST_MaxX(NEW.geometry),
    miny = ST_MinY(NEW.geometry), maxy = ST_MaxY(NEW.geometry)
  WHERE id = NEW.fid;
END;

CREATE TRIGGER rtree_buildings_geometry_update7 AFTER UPDATE OF geometry ON buildings
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry)) AND
       (OLD.geometry ISNULL OR ST_IsEmpty(OLD.geometry))
BEGIN
  INSERT INTO rtree_buildings_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_buildings_geometry_update2 AFTER UPDATE OF geometry ON buildings
  WHEN OLD.fid = NEW.fid AND
       (NEW.geometry ISNULL OR ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_buildings_geometry WHERE id = OLD.fid;
END;

CREATE TRIGGER rtree_buildings_geometry_update5 AFTER UPDATE ON buildings
  WHEN OLD.fid != NEW.fid AND
       (NEW.geometry NOTNULL AND NOT ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_buildings_geometry WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_buildings_geometry VALUES (
    NEW.fid,
    ST_MinX(NEW.geometry), ST_MaxX(NEW.geometry),
    ST_MinY(NEW.geometry), ST_MaxY(NEW.geometry)
  );
END;

CREATE TRIGGER rtree_buildings_geometry_update4 AFTER UPDATE ON buildings
  WHEN OLD.fid != NEW.fid AND
       (NEW.geometry ISNULL OR ST_IsEmpty(NEW.geometry))
BEGIN
  DELETE FROM rtree_buildings_geometry WHERE id IN (OLD.fid, NEW.fid);
END;

CREATE TRIGGER rtree_buildings_geometry_delete AFTER DELETE ON buildings
  WHEN old.geometry NOT NULL
BEGIN
  DELETE FROM rtree_buildings_geometry WHERE id = OLD.fid;
END;
