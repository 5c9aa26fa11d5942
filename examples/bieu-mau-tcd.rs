//! The official form "Biểu số 01/TCD — Tổng hợp kết quả tiếp công dân" as the issuing body
//! would publish it (Excel, merged three-level header, numbering A, B, 1 … 14), written to
//! `samples/bieu-mau/01-TCD.xlsx`, the input of `baocao regime draft` for the sample regime
//! `tcd`. Deterministic: the same bytes on every run.
//!
//!     cargo run --release --example bieu-mau-tcd -- samples/bieu-mau/01-TCD.xlsx

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "samples/bieu-mau/01-TCD.xlsx".to_string());
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_author("Thanh tra Chính phủ")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2021, 10, 1)?),
    );
    let ws = wb.add_worksheet();
    ws.set_name("Biểu 01")?;
    let font = |f: Format| f.set_font_name("Times New Roman").set_font_size(12);
    let bold = font(Format::new().set_bold());
    let title = font(Format::new().set_bold().set_align(FormatAlign::Center));
    let italic = font(Format::new().set_italic().set_align(FormatAlign::Center));
    let head = font(
        Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin),
    );
    let cell = font(Format::new().set_border(FormatBorder::Thin));
    let center = font(
        Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center),
    );

    ws.set_column_width(0, 5)?;
    ws.set_column_width(1, 24)?;
    for c in 2..16 {
        ws.set_column_width(c, 9)?;
    }
    ws.write_string_with_format(0, 0, "Biểu số 01/TCD", &bold)?;
    ws.merge_range(1, 0, 1, 15, "TỔNG HỢP KẾT QUẢ TIẾP CÔNG DÂN", &title)?;
    ws.merge_range(
        2,
        0,
        2,
        15,
        "(Số liệu tính từ ngày … tháng … năm … đến ngày … tháng … năm …)",
        &italic,
    )?;
    ws.write_string_with_format(3, 0, "Đơn vị báo cáo: …", &font(Format::new()))?;
    ws.write_string_with_format(3, 10, "Đơn vị nhận báo cáo: …", &font(Format::new()))?;

    // Header block: rows 5–7, three levels.
    let top = 5;
    ws.merge_range(top, 0, top + 2, 0, "STT", &head)?;
    ws.merge_range(top, 1, top + 2, 1, "Đơn vị", &head)?;
    for (c, group, first) in [
        (2u16, "Tiếp thường xuyên", "Lượt"),
        (6, "Tiếp định kỳ và đột xuất", "Lượt"),
        (10, "Đoàn đông người", "Số đoàn"),
    ] {
        ws.merge_range(top, c, top, c + 3, group, &head)?;
        ws.merge_range(top + 1, c, top + 2, c, first, &head)?;
        ws.merge_range(top + 1, c + 1, top + 2, c + 1, "Người", &head)?;
        ws.merge_range(top + 1, c + 2, top + 1, c + 3, "Vụ việc", &head)?;
        ws.write_string_with_format(top + 2, c + 2, "Cũ", &head)?;
        ws.write_string_with_format(top + 2, c + 3, "Mới phát sinh", &head)?;
    }
    ws.merge_range(top, 14, top, 15, "Nội dung", &head)?;
    ws.merge_range(top + 1, 14, top + 2, 14, "Khiếu nại", &head)?;
    ws.merge_range(top + 1, 15, top + 2, 15, "Tố cáo", &head)?;
    ws.set_row_height(top + 2, 30)?;

    // Numbering row A, B, 1 … 14.
    let n = top + 3;
    ws.write_string_with_format(n, 0, "A", &head)?;
    ws.write_string_with_format(n, 1, "B", &head)?;
    for c in 2..16u16 {
        ws.write_number_with_format(n, c, f64::from(c - 1), &head)?;
    }
    let rows = [
        ("1", "Ban Tiếp công dân"),
        ("2", "Lãnh đạo"),
        ("3", "Cơ quan, đơn vị"),
        ("", "Tổng cộng"),
    ];
    for (i, (stt, label)) in rows.iter().enumerate() {
        let r = n + 1 + i as u32;
        ws.write_string_with_format(r, 0, *stt, &center)?;
        if label.starts_with("Tổng") {
            ws.write_string_with_format(r, 1, *label, &head)?;
        } else {
            ws.write_string_with_format(r, 1, *label, &cell)?;
        }
        for c in 2..16u16 {
            ws.write_blank(r, c, &cell)?;
        }
    }
    let foot = n + rows.len() as u32 + 2;
    ws.write_string_with_format(foot, 10, "…, ngày … tháng … năm …", &italic)?;
    ws.write_string_with_format(foot + 1, 1, "Người lập biểu", &title)?;
    ws.write_string_with_format(foot + 1, 10, "Thủ trưởng đơn vị", &title)?;
    let path = std::path::Path::new(&out);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    wb.save(path)?;
    println!("Đã ghi {}", path.display());
    Ok(())
}
